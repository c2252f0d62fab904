#!/usr/bin/python3
"""Reference values for tune's confirmation statistics, from SciPy (run with Debian's
/usr/bin/python3; the output is committed as confirmation_reference.json next to this file):

    /usr/bin/python3 tests/tune/confirmation_reference.py > tests/tune/confirmation_reference.json

For each case: Welch 95% interval of mean(a) - mean(b) (t quantile with Welch-Satterthwaite
degrees of freedom), the one-sided Welch p of mean(a) - mean(b) > shift
(scipy.stats.ttest_ind(a, b + shift, equal_var=False, alternative="greater")), and the
two-sided Welch p for cross-checking against stats::welch_t_test.
"""
import json

import numpy as np
import scipy
from scipy import stats

rng = np.random.default_rng(20261202)
cases = [
    {"a": [0.912, 0.905, 0.917, 0.909], "b": [0.910, 0.915, 0.904, 0.911, 0.913], "shift": -0.01},
    {"a": [812.0, 790.5, 805.25, 799.0, 820.0], "b": [700.0, 710.5, 695.0, 705.0], "shift": 0.0},
    {"a": [1.0, 2.0, 3.0], "b": [1.5, 2.5, 2.0, 3.5, 0.5, 4.0], "shift": 0.25},
    {"a": [0.5, 0.52], "b": [0.49, 0.51], "shift": -0.005},
]
for n1, n2, mu, sd1, sd2, shift in [(6, 6, 0.002, 0.003, 0.003, -0.005), (10, 7, -0.01, 0.01, 0.02, -0.01),
                                     (3, 12, 5.0, 2.0, 0.5, 0.0), (25, 25, 0.0, 1.0, 3.0, 0.5)]:
    a = rng.normal(mu, sd1, n1).round(6).tolist()
    b = rng.normal(0.0, sd2, n2).round(6).tolist()
    cases.append({"a": a, "b": b, "shift": shift})

out = []
for c in cases:
    a, b = np.array(c["a"]), np.array(c["b"])
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    q = stats.t.ppf(0.975, df)
    d = a.mean() - b.mean()
    greater = stats.ttest_ind(a, b + c["shift"], equal_var=False, alternative="greater").pvalue
    two = stats.ttest_ind(a, b, equal_var=False).pvalue
    out.append(dict(c, difference=d, low=d - q * se, high=d + q * se, df=df, se=se, p_greater=greater,
                    p_two_sided=two))
print(json.dumps({"scipy": scipy.__version__, "cases": out}, indent=1))
