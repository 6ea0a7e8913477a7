"""The drift tests as a numpy/scipy user writes them, shared by compare_numpy.py and
peer_numpy.py, and the decision rule the peer applies (import it for other benchmarks,
e.g. counting false alarms on a stream without drift):

  numeric column:      KS (scipy.stats.ks_2samp, method "auto") drifts when p < KS_ALPHA (0.05);
                       decile PSI drifts when PSI >= PSI_DRIFT (0.1)
  categorical column:  PSI over the categories drifts when PSI >= PSI_DRIFT (0.1);
                       chi-square (scipy.stats.chisquare) drifts when p < CHI2_ALPHA (0.05)

PSI = sum((cur - ref) * ln(cur / ref)) over bins; a share of 0 counts as EPS = 1e-4.
Decile bins: the reference's 10th..90th percentiles (np.quantile, linear), duplicates
dropped (discrete columns get fewer bins), a value equal to an edge in the upper bin.
Missing values (NaN / None) are dropped before any test.
"""
import numpy as np
from scipy import stats

EPS = 1e-4
KS_ALPHA = 0.05
PSI_DRIFT = 0.1
CHI2_ALPHA = 0.05


def ks_drifts(p):
    return bool(p < KS_ALPHA)


def psi_drifts(value):
    return bool(value >= PSI_DRIFT)


def chi2_drifts(p):
    return bool(p < CHI2_ALPHA)


def present(x):
    return x[~np.isnan(x)]


def psi(ref_shares, cur_shares):
    r = np.where(ref_shares == 0, EPS, ref_shares)
    c = np.where(cur_shares == 0, EPS, cur_shares)
    return float(np.sum((c - r) * np.log(c / r)))


def decile_edges(ref):
    return np.unique(np.quantile(ref, np.linspace(0.1, 0.9, 9)))


def bin_shares(x, edges):
    counts = np.bincount(np.searchsorted(edges, x, side="right"), minlength=len(edges) + 1)
    return counts / max(len(x), 1)


def ks(ref, cur):
    r = stats.ks_2samp(ref, cur)
    return float(r.statistic), float(r.pvalue)


def category_counts(values):
    """A list of strings (None = missing) -> {category: count}."""
    kept = [v for v in values if v is not None]
    if not kept:
        return {}
    cats, counts = np.unique(np.array(kept), return_counts=True)
    return dict(zip(cats.tolist(), counts.tolist()))


def categorical(ref_shares, cur_counts):
    """ref_shares: {category: share}; cur_counts: {category: count}. Over the union of
    categories (an unseen one has reference share 0, i.e. EPS): (PSI, chi-square p)."""
    keys = sorted(set(ref_shares) | set(cur_counts))
    n = sum(cur_counts.values())
    r = np.array([ref_shares.get(k, 0.0) for k in keys])
    observed = np.array([cur_counts.get(k, 0) for k in keys], dtype=np.float64)
    value = psi(r, observed / max(n, 1))
    expected = np.where(r == 0, EPS, r)
    expected = expected / expected.sum() * n
    return value, float(stats.chisquare(observed, expected).pvalue)


def shares(counts):
    n = sum(counts.values())
    return {k: c / n for k, c in counts.items()} if n else {}
