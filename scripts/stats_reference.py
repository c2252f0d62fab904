#!/usr/bin/python3
"""Reference values for greentune's statistics (tests/stats/reference.json).

Run with Debian's interpreter, which has SciPy:
    /usr/bin/python3 scripts/stats_reference.py > tests/stats/reference.json
Every case stores its inputs and SciPy's outputs; tests/stats/stats_test.cpp compares the
C++ results to 1e-9. Cases SciPy leaves undefined (NaN: constant inputs, Spearman with
n = 2) are tested by hand in the C++ tests instead.
"""
import json
import sys
import warnings

import numpy as np
import scipy
from scipy import stats

warnings.simplefilter("ignore")
rng = np.random.default_rng(20260306)


def floats(a):
    return [float(v) for v in a]


def sample(n, loc=0.0, scale=1.0, decimals=None):
    v = rng.normal(loc, scale, n)
    if decimals is not None:
        v = np.round(v, decimals)
    return floats(v)


cases_ranks = []
for values in ([3, 1, 2], [1, 1, 1], [2, 2, 1, 3, 3, 3], [5.5], sample(50, decimals=0), [0.1, 0.1, -0.2, 7, 7]):
    cases_ranks.append({"x": floats(values), "ranks": floats(stats.rankdata(values))})

cases_corr = []
def add_corr(name, x, y):
    s = stats.spearmanr(x, y)
    p = stats.pearsonr(x, y)
    cases_corr.append({"name": name, "x": floats(x), "y": floats(y),
                       "spearman_rho": float(s.statistic), "spearman_p": float(s.pvalue),
                       "pearson_r": float(p.statistic), "pearson_p": float(p.pvalue)})

add_corr("n3", [1, 2, 3], [2, 1, 4])
add_corr("n4_perfect", [1, 2, 3, 4], [10, 20, 30, 45])
add_corr("n5_negative", [1, 2, 3, 4, 5], [9.5, 7.1, 7.3, 3.2, 1.0])
add_corr("ties_both", [1, 1, 2, 2, 3, 3, 4, 4], [5, 6, 6, 7, 7, 7, 9, 8])
x = [1.0] * 5 + [0.5] * 5 + [2.0] * 5 + [0.1] * 5 + [5.0] * 5 + [10.0] * 5
add_corr("paper_shape_30", x, floats(np.array(x) * 3.0 + rng.normal(0, 4, 30)))
add_corr("paper_shape_30_weak", x, sample(30, 100, 5))
add_corr("n200", sample(200), sample(200))
xs = sample(1000)
add_corr("n1000_related", xs, floats(np.array(xs) * 0.1 + rng.normal(0, 1, 1000)))
add_corr("rounded_ties", sample(40, decimals=0), sample(40, decimals=0))

cases_mwu = []
def add_mwu(name, x, y):
    r = stats.mannwhitneyu(x, y, alternative="two-sided", method="auto")
    xy = list(x) + list(y)
    ties = len(set(xy)) != len(xy)
    method = "asymptotic" if (len(x) > 8 and len(y) > 8) or ties else "exact"
    cases_mwu.append({"name": name, "x": floats(x), "y": floats(y), "u": float(r.statistic),
                      "p": float(r.pvalue), "method": method})

add_mwu("exact_1_1", [1.0], [2.0])
add_mwu("exact_2_2", [1.0, 2.0], [3.0, 4.0])
add_mwu("exact_5_5", sample(5), sample(5, 0.5))
add_mwu("exact_5_5_separated", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
add_mwu("exact_3_7", sample(3), sample(7, 1.0))
add_mwu("exact_8_8", sample(8), sample(8, 0.8))
add_mwu("exact_8_40", sample(8), sample(40, 0.3))
add_mwu("exact_40_5", sample(40), sample(5, -0.5))
add_mwu("exact_8_300", sample(8), sample(300, 0.2))
add_mwu("asymptotic_9_9", sample(9), sample(9, 0.7))
add_mwu("asymptotic_ties_small", [1, 2, 2, 3], [2, 3, 3, 4, 5])
add_mwu("asymptotic_ties_5_5", [10, 10, 11, 12, 12], [12, 13, 13, 14, 10])
add_mwu("asymptotic_25_25", sample(25), sample(25, 0.4))
add_mwu("asymptotic_rounded_30_30", sample(30, decimals=0), sample(30, 0.5, decimals=0))
add_mwu("asymptotic_500_700", sample(500), sample(700, 0.05))
add_mwu("constant_equal", [3.0] * 5, [3.0] * 5)
add_mwu("constant_different", [3.0] * 5, [4.0] * 5)
add_mwu("n2_tie", [1.0, 2.0], [2.0, 3.0])

cases_t = []
def add_t(name, x, y):
    s = stats.ttest_ind(x, y, equal_var=True)
    w = stats.ttest_ind(x, y, equal_var=False)
    cases_t.append({"name": name, "x": floats(x), "y": floats(y),
                    "student_t": float(s.statistic), "student_p": float(s.pvalue),
                    "welch_t": float(w.statistic), "welch_p": float(w.pvalue)})

add_t("n2_n2", [1.0, 2.0], [3.0, 5.0])
add_t("n5_n5", sample(5), sample(5, 1.0))
add_t("n5_n5_unequal_var", sample(5, 0, 1), sample(5, 0.5, 10))
add_t("n3_n30", sample(3), sample(30, 0.2))
add_t("n30_n30", sample(30, 100, 5), sample(30, 103, 5))
add_t("n1000_n800", sample(1000), sample(800, 0.1, 2))
add_t("ties", [1, 1, 2, 2, 2], [2, 3, 3, 3, 4])

json.dump({"generator": "scripts/stats_reference.py", "scipy": scipy.__version__, "numpy": np.__version__,
           "ranks": cases_ranks, "correlations": cases_corr, "mann_whitney": cases_mwu, "t_tests": cases_t},
          sys.stdout, indent=1)
sys.stdout.write("\n")
