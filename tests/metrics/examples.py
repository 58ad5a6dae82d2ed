"""Published reliability data sets used as worked examples, with their sources."""

from __future__ import annotations

import numpy as np

nan = np.nan

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability, section C: 4 observers
# x 12 units, values 1-5, with missing data. Published alpha: nominal 0.743, ordinal 0.815,
# interval 0.849, ratio 0.797. Gwet (2014, Handbook of Inter-Rater Reliability, 4th ed.,
# p. 120) reuses it ("raw_4raters") for AC1 = 0.775 (p_a 0.818, p_e 0.190), AC2 linear
# 0.859, AC2 quadratic 0.914, as reproduced in the irrCAC package tests.
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
        [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
    ]
)

# The krippendorff package's doctest (3 coders x 15 units): nominal 0.691358, interval 0.810845.
KRIPPENDORFF_PACKAGE_DOCTEST = np.array(
    [
        [nan, nan, nan, nan, nan, 3, 4, 1, 2, 1, 1, 3, 3, nan, 3],
        [1, nan, 2, 1, 3, 3, 4, 3, nan, nan, nan, nan, nan, nan, nan],
        [nan, nan, 2, 1, 3, 4, 4, nan, 2, 1, 1, 3, 3, nan, 4],
    ]
)

# Gwet (2014), 5 observers x 15 units on 0-3 ("raw_5observers"): AC1 0.497 (p_a 0.616,
# p_e 0.236), per the irrCAC package tests.
GWET_5_OBSERVERS = np.array(
    [
        [1, 1, 2, nan, 0, 0, 1, 1, 2, 2, nan, 0, 1, 3, 1],
        [1, 1, 3, 0, 0, 0, 0, nan, 2, 1, 1, 0, 2, 3, 1],
        [2, 0, 3, 0, 0, 0, 2, 2, 2, 1, 0, 0, 2, 2, 1],
        [nan, 1, 3, nan, nan, nan, nan, 0, nan, 1, 0, 0, 2, 2, nan],
        [2, nan, nan, 0, 0, 0, 1, nan, 2, nan, nan, nan, nan, 3, 1],
    ]
)

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects x 14 raters x 5 categories,
# kappa = 0.210 (P-bar 0.378, P_e 0.213).
FLEISS_WIKIPEDIA = np.array(
    [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
)

# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters, Table 1:
# 6 psychiatrists x 30 patients x 5 diagnoses (counts per diagnosis), kappa = 0.430.
FLEISS_1971 = np.array(
    [
        [0, 0, 0, 6, 0],
        [0, 3, 0, 0, 3],
        [0, 1, 4, 0, 1],
        [0, 0, 0, 0, 6],
        [0, 3, 0, 3, 0],
        [2, 0, 4, 0, 0],
        [0, 0, 4, 0, 2],
        [2, 0, 3, 1, 0],
        [2, 0, 0, 4, 0],
        [0, 0, 0, 0, 6],
        [1, 0, 0, 5, 0],
        [1, 1, 0, 4, 0],
        [0, 3, 3, 0, 0],
        [1, 0, 0, 5, 0],
        [0, 2, 0, 3, 1],
        [0, 0, 5, 0, 1],
        [3, 0, 0, 1, 2],
        [5, 1, 0, 0, 0],
        [0, 2, 0, 4, 0],
        [1, 0, 2, 0, 3],
        [0, 0, 0, 0, 6],
        [0, 1, 0, 5, 0],
        [0, 2, 0, 1, 3],
        [2, 0, 0, 4, 0],
        [1, 0, 0, 4, 1],
        [0, 5, 0, 1, 0],
        [4, 0, 0, 0, 2],
        [0, 2, 0, 4, 0],
        [1, 0, 5, 0, 0],
        [0, 0, 0, 0, 6],
    ]
)

# Wikipedia, "Cohen's kappa", first worked example: 50 grant proposals, two readers.
# Rows reader A (yes, no), columns reader B: kappa = 0.4.
COHEN_WIKIPEDIA = np.array([[20, 5], [10, 15]])

# Gwet (2014), 100 pregnant women classified by two abstractors (irrCAC
# "cont3x3abstractors"): kappa 0.796, linear 0.843, quadratic 0.892.
GWET_ABSTRACTORS = np.array([[13, 0, 0], [0, 20, 7], [0, 4, 56]])

# Gwet (2014), 223 psychiatric patients by two diagnosis methods (irrCAC
# "cont4x4diagnosis"): kappa 0.432, linear 0.407, quadratic 0.383.
GWET_DIAGNOSIS = np.array([[40, 4, 4, 17], [6, 25, 2, 13], [4, 1, 21, 12], [15, 5, 9, 45]])

# Shrout, P. E. & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
# reliability, Table 2: 6 targets x 4 judges. Published: ICC(1,1) .17, ICC(2,1) .29,
# ICC(3,1) .71, ICC(1,4) .44, ICC(2,4) .62, ICC(3,4) .91.
SHROUT_FLEISS_1979 = np.array(
    [
        [9, 2, 5, 8],
        [6, 1, 3, 2],
        [8, 4, 6, 8],
        [7, 1, 2, 6],
        [10, 5, 6, 9],
        [6, 2, 4, 7],
    ],
    dtype=float,
)


def table_to_pairs(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return two raters' category indices (0-based) expanded from a confusion table."""
    rows, cols = np.indices(table.shape)
    counts = table.ravel()
    return np.repeat(rows.ravel(), counts), np.repeat(cols.ravel(), counts)


def counts_to_matrix(counts: np.ndarray) -> np.ndarray:
    """Return a raters x items matrix (categories 1..K) from an items x categories table."""
    per_item = counts.sum(axis=1)
    width = int(per_item.max())
    matrix = np.full((width, counts.shape[0]), np.nan)
    for item, row in enumerate(counts):
        labels = np.repeat(np.arange(1, counts.shape[1] + 1), row)
        matrix[: labels.size, item] = labels
    return matrix
