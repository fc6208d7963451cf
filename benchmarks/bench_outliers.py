"""Outlier detection on the ODDS sets: AutoencoderOutlierDetector against its peers.

Protocol (ADBench's, Han et al., NeurIPS 2022, for unsupervised detectors): every ODDS set in
the data home (``skae.datasets.load_odds``), split 70% / 30% stratified by the outlier label
(seeds 0, 1, 2); a ``MinMaxScaler`` fitted on the training part scales both parts; each detector
is fitted on the training part, outliers included (the contaminated, unsupervised setting),
with its default settings, and scores the test part. Metrics on the test part: ROC-AUC and
average precision (AP) of the abnormality scores, averaged over the seeds; per method, their
mean over the sets and the average rank (1 = best on a set; ties share their mean rank); fit
and score seconds, summed over the sets and seeds. One thread for every library.

Methods (defaults unless said): ``AutoencoderOutlierDetector`` (skae),
``IsolationForest``, ``LocalOutlierFactor(novelty=True)``, ``OneClassSVM``, PCA
reconstruction error (``PCA(n_components=0.9)``: the components that explain 90% of the
training variance; PCA's default keeps them all and reconstructs exactly), and pyod's
``AutoEncoder``, ``ECOD``, ``KNN`` and ``CBLOF`` where pyod imports (pyod's AutoEncoder with
``verbose=0``; ``random_state`` is the seed where a method has one). A method that fails on a
set is reported with the reason and ranks last there.

Published figures, printed beside (their protocols differ, named in the output): pyod's
benchmark table (``notebooks/roc.csv`` of yzhao062/pyod at commit a363b5f, ROC-AUC on 17
ODDS sets, 60% / 40% split, standardised data, averaged over 10 repetitions) and ADBench's
means over the 21 ODDS sets it shares with this folder (its Table D4 protocol is the one
above; its data are ADBench's own copies of the sets).

Selection of the defaults (``--select``). Rule, written down before any test part was
scored: for every set and seed the 70% / 30% split above is made and the test part set aside
unseen; the training part is scaled as above and split again 70% / 30% (stratified, same
seed) into a fit part and a validation part. Each candidate is fitted on the fit part and
scores the validation part; its figure is the mean over the sets of the validation ROC-AUC
(averaged over the seeds). Candidates vary one parameter at a time around a base setting; a
parameter takes the value with the best figure, but only if it beats the base by more than
0.002 (the spread between seeds); the defaults are the base with those changes, which is
run as well and kept only if its figure is at least that of the best single change (else
that change alone). The design itself (standardised input, tanh code, trimmed loss,
per-feature trimmed-mean error scales, training budget) was chosen on the same validation
parts, never on a test part. IsolationForest's validation figure is printed for reference.

Usage (``SKAE_DATA`` names the data home holding ``odds/``)::

    SKAE_DATA=/path/to/data python benchmarks/bench_outliers.py            # everything
    python benchmarks/bench_outliers.py --sets cardio wbc --methods skae IsolationForest
    python benchmarks/bench_outliers.py --seeds 0 --save run.jsonl
    python benchmarks/bench_outliers.py --merge a.jsonl b.jsonl           # tables of saved runs
    python benchmarks/bench_outliers.py --select                           # the defaults' grid
"""

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.stats import rankdata  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402
from sklearn.metrics import average_precision_score, roc_auc_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neighbors import LocalOutlierFactor  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402
from sklearn.svm import OneClassSVM  # noqa: E402

from skae import AutoencoderOutlierDetector  # noqa: E402
from skae.datasets import ODDS_DATASETS, get_data_home, load_odds  # noqa: E402

torch.set_num_threads(1)

# pyod's notebooks/roc.csv (yzhao062/pyod, commit a363b5f): ROC-AUC per set, in the order
# IForest, LOF, OCSVM, PCA, AutoEncoder, ECOD, KNN, CBLOF.
PYOD_COLUMNS = ("IsolationForest", "LOF", "OCSVM", "PCA", "pyod AutoEncoder", "pyod ECOD",
                "pyod KNN", "pyod CBLOF")
PYOD_TABLE = {
    "arrhythmia": (0.8013, 0.7787, 0.7812, 0.7815, 0.7739, 0.8172, 0.7861, 0.7777),
    "cardio": (0.9183, 0.5736, 0.9348, 0.9504, 0.8166, 0.9364, 0.7236, 0.8008),
    "glass": (0.7503, 0.8644, 0.6324, 0.6747, 0.6754, 0.6847, 0.8508, 0.8495),
    "ionosphere": (0.8528, 0.8754, 0.8419, 0.7962, 0.8959, 0.7361, 0.9267, 0.9115),
    "letter": (0.6380, 0.8594, 0.6118, 0.5283, 0.8135, 0.5805, 0.8766, 0.7834),
    "lympho": (0.9932, 0.9771, 0.9759, 0.9847, 0.9855, 0.9958, 0.9745, 0.9636),
    "mnist": (0.8080, 0.7161, 0.8529, 0.8527, 0.8645, 0.7458, 0.8481, 0.8455),
    "musk": (0.9998, 0.5287, 1.0000, 1.0000, 0.8127, 0.9531, 0.7986, 1.0000),
    "optdigits": (0.7021, 0.4500, 0.4997, 0.5086, 0.5980, 0.5995, 0.3708, 0.7754),
    "pendigits": (0.9498, 0.4698, 0.9303, 0.9353, 0.7821, 0.9268, 0.7487, 0.8868),
    "pima": (0.6800, 0.6271, 0.6215, 0.6481, 0.6655, 0.5912, 0.7078, 0.6550),
    "satellite": (0.6929, 0.5573, 0.6622, 0.5988, 0.6628, 0.5815, 0.6836, 0.7496),
    "satimage-2": (0.9939, 0.4577, 0.9978, 0.9822, 0.9285, 0.9700, 0.9536, 0.9992),
    "shuttle": (0.9971, 0.5264, 0.9917, 0.9898, 0.9898, 0.9929, 0.6537, 0.6121),
    "vertebral": (0.3887, 0.4081, 0.4431, 0.4027, 0.4819, 0.4430, 0.3817, 0.4452),
    "vowels": (0.7557, 0.9410, 0.7802, 0.6027, 0.9240, 0.5938, 0.9680, 0.9301),
    "wbc": (0.9320, 0.9349, 0.9319, 0.9159, 0.9232, 0.8858, 0.9366, 0.9125),
}
# ADBench (Han et al. 2022), mean AUCROC (%) over the 21 ODDS sets it shares with this folder.
ADBENCH_MEANS = {"IsolationForest": 84.2, "pyod CBLOF": 84.3, "PCA": 80.2, "pyod ECOD": 79.6,
                 "pyod KNN": 76.9, "LOF": 65.7, "DeepSVDD": 52.6}


# -- methods: name -> (make(seed), abnormality(fitted, X): higher is more abnormal) --------
def _pca_error(est, X):
    return np.square(X - est.inverse_transform(est.transform(X))).sum(axis=1)


def _methods():
    methods = {
        "skae": (lambda s: AutoencoderOutlierDetector(random_state=s),
                 lambda e, X: -e.score_samples(X)),
        "IsolationForest": (lambda s: IsolationForest(random_state=s),
                            lambda e, X: -e.score_samples(X)),
        "LOF": (lambda s: LocalOutlierFactor(novelty=True), lambda e, X: -e.score_samples(X)),
        "OCSVM": (lambda s: OneClassSVM(), lambda e, X: -e.score_samples(X)),
        "PCA": (lambda s: PCA(n_components=0.9, svd_solver="full"), _pca_error),
    }
    try:
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.cblof import CBLOF
        from pyod.models.ecod import ECOD
        from pyod.models.knn import KNN
    except ImportError as exc:
        reason = f"not installed ({exc})"
        for name in ("pyod AutoEncoder", "pyod ECOD", "pyod KNN", "pyod CBLOF"):
            methods[name] = reason
        return methods

    def pyod_score(e, X):
        return e.decision_function(X)

    methods.update({
        "pyod AutoEncoder": (lambda s: AutoEncoder(random_state=s, verbose=0, device="cpu"),
                             pyod_score),
        "pyod ECOD": (lambda s: ECOD(), pyod_score),
        "pyod KNN": (lambda s: KNN(), pyod_score),
        "pyod CBLOF": (lambda s: CBLOF(random_state=s), pyod_score),
    })
    return methods


# -- data ----------------------------------------------------------------------------------
def available_sets():
    home = get_data_home()
    return [name for name in sorted(ODDS_DATASETS) if (home / "odds" / f"{name}.mat").is_file()]


def split(name, seed, select=False):
    """``(X_fit, X_eval, y_eval)``: the benchmark's parts, or with ``select`` the fit and
    validation parts of the training part (the test part is never touched)."""
    X, y = load_odds(name, return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=seed)
    scaler = MinMaxScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    if select:
        X_train, X_test, _, y_test = train_test_split(X_train, y_train, test_size=0.3,
                                                      stratify=y_train, random_state=seed)
    return X_train, X_test, y_test


def run_one(method, name, seed, data):
    """One fit and one scoring; a record with the metrics, or with the reason of a failure."""
    record = {"method": method[0], "set": name, "seed": seed}
    if isinstance(method[1], str):
        return {**record, "error": method[1]}
    make, abnormality = method[1]
    X_fit, X_eval, y_eval = data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = make(seed)
            t0 = time.perf_counter()
            est.fit(X_fit)
            t1 = time.perf_counter()
            scores = np.asarray(abnormality(est, X_eval), dtype=np.float64)
            t2 = time.perf_counter()
        if not np.isfinite(scores).all():
            raise ValueError("non-finite scores")
    except Exception as exc:  # noqa: BLE001 - a failing peer is reported, the run goes on
        return {**record, "error": f"failed: {type(exc).__name__}: {str(exc)[:80]}"}
    record.update(auc=roc_auc_score(y_eval, scores), ap=average_precision_score(y_eval, scores),
                  fit_s=t1 - t0, score_s=t2 - t1)
    if isinstance(est, AutoencoderOutlierDetector):
        flagged = est.predict(X_eval) == -1  # what contamination="auto" flags
        record.update(flagged=float(flagged.mean()), outlier_share=float(y_eval.mean()),
                      flagged_precision=float(y_eval[flagged].mean()) if flagged.any() else 0.0)
    return record


def run(methods, sets, seeds, select=False, save=None, echo=True):
    records = []
    out = open(save, "a") if save else None  # noqa: SIM115 - appended to as results arrive
    try:
        for name in sets:
            for seed in seeds:
                data = split(name, seed, select)
                for method in methods:
                    rec = run_one(method, name, seed, data)
                    records.append(rec)
                    if out:
                        out.write(json.dumps(rec) + "\n")
                        out.flush()
                    if echo:
                        what = rec.get("error") or (f"auc {rec['auc']:.3f} ap {rec['ap']:.3f} "
                                                    f"fit {rec['fit_s']:.2f}s")
                        print(f"  {name:<12} seed {seed} {rec['method']:<17} {what}",
                              flush=True)
    finally:
        if out:
            out.close()
    return records


# -- tables --------------------------------------------------------------------------------
def summarise(records):
    """Per method and set: mean ROC-AUC and AP over seeds (None if any seed failed), times."""
    by = defaultdict(list)
    for r in records:
        by[r["method"], r["set"]].append(r)
    methods = list(dict.fromkeys(r["method"] for r in records))
    sets = list(dict.fromkeys(r["set"] for r in records))
    table = {}
    for key, recs in by.items():
        ok = [r for r in recs if "error" not in r]
        if len(ok) < len(recs):
            table[key] = {"error": next(r["error"] for r in recs if "error" in r)}
        else:
            table[key] = {m: float(np.mean([r[m] for r in ok]))
                          for m in ("auc", "ap", "fit_s", "score_s")}
            table[key]["fit_total"] = float(np.sum([r["fit_s"] for r in ok]))
            table[key]["score_total"] = float(np.sum([r["score_s"] for r in ok]))
    return methods, sets, table


def ranks(methods, sets, table, metric):
    """Average rank of each method over ``sets`` (1 = best; a failure ranks last)."""
    total = defaultdict(float)
    for s in sets:
        values = [table.get((m, s), {}).get(metric, -np.inf) for m in methods]
        for m, r in zip(methods, rankdata([-v for v in values]), strict=True):
            total[m] += r
    return {m: total[m] / len(sets) for m in methods}


def print_tables(records):
    methods, sets, table = summarise(records)
    width = max(len(m) for m in methods) + 2
    short = {m: m.replace("pyod ", "").replace("AutoEncoder", "AE")[:9] for m in methods}
    print("\nROC-AUC on the test parts (mean over seeds; * best of the row)")
    print(f"{'set':<12}" + "".join(f"{short[m]:>10}" for m in methods))
    for s in sets:
        vals = {m: table.get((m, s), {}).get("auc") for m in methods}
        best = max((v for v in vals.values() if v is not None), default=None)
        cells = "".join(
            f"{'failed':>10}" if vals[m] is None else
            f"{vals[m]:>9.3f}{'*' if vals[m] == best else ' '}" for m in methods)
        print(f"{s:<12}{cells}")
    complete = [s for s in sets if all("auc" in table.get((m, s), {}) for m in methods)]
    rank_auc, rank_ap = ranks(methods, sets, table, "auc"), ranks(methods, sets, table, "ap")
    ref = "skae" if "skae" in methods else None
    print(f"\nSummary over {len(sets)} sets ({len(complete)} where every method ran; means "
          "over those), seeds " + ", ".join(map(str, sorted({r['seed'] for r in records}))))
    print(f"{'method':<{width}}{'ROC-AUC':>8}{'AP':>8}{'rank AUC':>9}{'rank AP':>9}"
          f"{'fit s':>9}{'score s':>9}{'fit/skae':>9}{'AUC, all':>9}")
    fit_ref = sum(table[ref, s]["fit_total"] for s in complete) if ref else None
    for m in sorted(methods, key=lambda m: rank_auc[m]):
        failed = [s for s in sets if "error" in table.get((m, s), {"error": "missing"})]
        auc = np.mean([table[m, s]["auc"] for s in complete]) if complete else np.nan
        ap = np.mean([table[m, s]["ap"] for s in complete]) if complete else np.nan
        fit = sum(table[m, s]["fit_total"] for s in complete)
        score = sum(table[m, s]["score_total"] for s in complete)
        ratio = f"{fit / fit_ref:>9.2f}" if fit_ref else f"{'':>9}"
        note = f"  failed on {len(failed)}: {table[m, failed[0]].get('error', 'missing')}" \
            if failed else ""
        every = f"{np.mean([table[m, s]['auc'] for s in sets]):>9.3f}" if not failed else \
            f"{'-':>9}"
        print(f"{m:<{width}}{auc:>8.3f}{ap:>8.3f}{rank_auc[m]:>9.2f}{rank_ap[m]:>9.2f}"
              f"{fit:>9.1f}{score:>9.1f}{ratio}{every}{note}")
    print(f"(AUC, all: mean ROC-AUC over all {len(sets)} sets, for the methods that ran on "
          "every one)")
    _print_published(methods, sets, table)
    if ref and "IsolationForest" in methods and complete:
        _print_done_when(methods, complete, table, rank_auc)
    _print_flagged(records)


def _print_flagged(records):
    flags = defaultdict(list)
    for r in records:
        if "flagged" in r:
            flags[r["set"]].append((r["flagged"], r["outlier_share"], r["flagged_precision"]))
    if flags:
        print("\nskae's predict with contamination='auto' on the test parts (mean over seeds): "
              "share flagged / share of outliers / precision of the flags")
        print("  " + "; ".join(f"{s} {np.mean([f[0] for f in v]):.3f}/"
                               f"{np.mean([f[1] for f in v]):.3f}/{np.mean([f[2] for f in v]):.2f}"
                               for s, v in flags.items()))


def _print_published(methods, sets, table):
    shared = [s for s in sets if s in PYOD_TABLE]
    if shared:
        print(f"\nPublished: pyod's benchmark table (notebooks/roc.csv), ROC-AUC, mean over the "
              f"{len(shared)} of its 17 sets in this run. Protocol differences: 60/40 split, "
              "standardised (not MinMax) data, 10 repetitions, its own defaults of the time "
              "(AutoEncoder [64, 32], 10 epochs, dropout 0.2); its PCA is pyod's (distances "
              "to every principal component, weighted by their variances), this run's the "
              "reconstruction error of a 90%-variance PCA.")
        print(f"{'method':<18}{'pyod table':>11}{'this run, same sets':>21}")
        for i, col in enumerate(PYOD_COLUMNS):
            ours = [table.get((col, s), {}).get("auc") for s in shared]
            mine = f"{np.mean(ours):>21.3f}" if all(v is not None for v in ours) else \
                f"{'-':>21}"
            print(f"{col:<18}{np.mean([PYOD_TABLE[s][i] for s in shared]):>11.3f}{mine}")
        if "skae" in methods and all("auc" in table.get(("skae", s), {}) for s in shared):
            print(f"{'skae':<18}{'-':>11}"
                  f"{np.mean([table['skae', s]['auc'] for s in shared]):>21.3f}")
    print("\nPublished: ADBench (Han et al. 2022), mean AUCROC over the 21 ODDS sets it shares "
          "with this folder (all but smtp). Same protocol as this run; its data are ADBench's "
          "own copies, its PCA is pyod's (see above), and its means average 3 seeds per "
          "set.")
    shared21 = [s for s in sets if s != "smtp"]
    for col, value in ADBENCH_MEANS.items():
        ours = [table.get((col, s), {}).get("auc") for s in shared21]
        mine = (f"this run, {len(shared21)} sets: {100 * np.mean(ours):.1f}"
                if shared21 and all(v is not None for v in ours) else "")
        print(f"  {col:<18}{value:>6.1f}   {mine}")


def _print_done_when(methods, complete, table, rank_auc):
    mean = {m: np.mean([table[m, s]["auc"] for s in complete]) for m in methods}
    fit = {m: sum(table[m, s]["fit_total"] for s in complete) for m in methods}
    print("\nDone-when (issue #29), over the sets where every method ran:")
    print(f"  skae mean ROC-AUC {mean['skae']:.4f} >= IsolationForest "
          f"{mean['IsolationForest']:.4f}:"
          f" {mean['skae'] >= mean['IsolationForest']}")
    if "pyod AutoEncoder" in methods:
        print(f"  skae mean ROC-AUC {mean['skae']:.4f} > pyod AutoEncoder "
              f"{mean['pyod AutoEncoder']:.4f}: {mean['skae'] > mean['pyod AutoEncoder']}")
        print(f"  skae fit {fit['skae']:.1f} s < pyod AutoEncoder fit "
              f"{fit['pyod AutoEncoder']:.1f} s: {fit['skae'] < fit['pyod AutoEncoder']}")
    best = min(rank_auc, key=rank_auc.get)
    print(f"  best average rank (ROC-AUC): {best} ({rank_auc[best]:.2f}); skae "
          f"{rank_auc['skae']:.2f}: {rank_auc['skae'] == min(rank_auc.values())}")


# -- selection of the defaults ---------------------------------------------------------------
# The base of the grid; the rule chose hidden_layer_sizes=(64, 32) over it (the default now).
SELECT_BASE = {"n_networks": 8, "max_samples": 512, "max_iter": 40, "trim_fraction": 0.2,
               "hidden_layer_sizes": (32,), "learning_rate_init": 1e-3}
SELECT_VARIATIONS = {
    "n_networks": (4, 16),
    "max_samples": (256, 1024),
    "max_iter": (20, 80),
    "trim_fraction": (0.1, 0.3),
    "hidden_layer_sizes": ((16,), (64,), (64, 32)),
    "learning_rate_init": (3e-3,),
}
SELECT_MARGIN = 0.002


def _candidate(label, params):
    return (label, (lambda s: AutoencoderOutlierDetector(random_state=s, **params),
                    lambda e, X: -e.score_samples(X)))


def _figure(records, label):
    _, _, table = summarise(records)
    sets = sorted({r["set"] for r in records if r["method"] == label})
    return float(np.mean([table[label, s]["auc"] for s in sets])), \
        float(np.mean([table[label, s]["fit_total"] for s in sets]))


def select(args):
    sets = args.sets or available_sets()
    grid = [("base", dict(SELECT_BASE))]
    for name, values in SELECT_VARIATIONS.items():
        grid += [(f"{name}={v}", {**SELECT_BASE, name: v}) for v in values]
    peers = [("IsolationForest", _methods()["IsolationForest"])]
    records = run(peers + [_candidate(lbl, p) for lbl, p in grid], sets, args.seeds,
                  select=True, save=args.save, echo=args.verbose)
    figures = {lbl: _figure(records, lbl) for lbl, _ in [*peers, *grid]}
    print(f"\nSelection on the validation parts of the training parts ({len(sets)} sets, seeds "
          f"{args.seeds}): mean ROC-AUC; fit seconds per set, summed over the seeds")
    for lbl, (auc, fit) in figures.items():
        print(f"  {lbl:<32}{auc:.4f}{fit:>8.2f}")
    base = figures["base"][0]
    changes = {}
    for name, values in SELECT_VARIATIONS.items():
        best = max(values, key=lambda v: figures[f"{name}={v}"][0])
        if figures[f"{name}={best}"][0] > base + SELECT_MARGIN:
            changes[name] = best
    print(f"Changes that beat the base by more than {SELECT_MARGIN}: {changes or 'none'}")
    if len(changes) > 1:
        combined = {**SELECT_BASE, **changes}
        records += run([_candidate("combined", combined)], sets, args.seeds, select=True,
                       save=args.save, echo=args.verbose)
        auc, fit = _figure(records, "combined")
        single = max(changes, key=lambda n: figures[f"{n}={changes[n]}"][0])
        print(f"  {'combined':<32}{auc:.4f}{fit:>8.2f}")
        if auc < figures[f"{single}={changes[single]}"][0]:
            changes = {single: changes[single]}
    print(f"Defaults: {{**SELECT_BASE, **{changes}}} = {({**SELECT_BASE, **changes})}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sets", nargs="+", choices=sorted(ODDS_DATASETS),
                   help="default: every ODDS set in the data home")
    p.add_argument("--methods", nargs="+", help="default: all (names as in the table)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--save", help="append every result to this JSON-lines file")
    p.add_argument("--merge", nargs="+", help="print the tables of saved runs together")
    p.add_argument("--select", action="store_true", help="run the selection of the defaults")
    p.add_argument("--verbose", action="store_true", help="with --select: every result")
    args = p.parse_args()
    if args.merge:
        records = [json.loads(line) for f in args.merge for line in open(f) if line.strip()]
        print_tables(records)
        return
    if args.select:
        select(args)
        return
    methods = _methods()
    chosen = args.methods or list(methods)
    unknown = set(chosen) - set(methods)
    if unknown:
        p.error(f"unknown methods {sorted(unknown)}; known: {list(methods)}")
    sets = args.sets or available_sets()
    print(f"ODDS sets: {', '.join(sets)}; seeds {args.seeds}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread")
    records = run([(m, methods[m]) for m in chosen], sets, args.seeds, save=args.save)
    print_tables(records)


if __name__ == "__main__":
    main()
