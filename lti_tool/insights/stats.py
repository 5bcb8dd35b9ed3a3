"""Welch's t interval for the difference of two means, with the standard library only.

The t distribution's quantile comes from its CDF (the regularized incomplete beta function,
evaluated by its continued fraction as in Numerical Recipes §6.4) inverted by bisection.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-14:
            break
    return h


def betai(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    tail = 0.5 * betai(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t distribution's p-quantile (0 < p < 1)."""
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-10:
            break
    return (lo + hi) / 2.0


@dataclass(frozen=True)
class Welch:
    difference: float  # mean(a) - mean(b)
    low: float
    high: float
    df: float
    p_value: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def welch(a: list[float], b: list[float], confidence: float = 0.95) -> Welch:
    """The difference of means of a and b with its confidence interval (each needs 2 values)."""
    if len(a) < 2 or len(b) < 2:
        raise ValueError("each group needs at least two values")
    mean_a, mean_b = statistics.fmean(a), statistics.fmean(b)
    var_a, var_b = statistics.variance(a), statistics.variance(b)
    ea, eb = var_a / len(a), var_b / len(b)
    diff = mean_a - mean_b
    se = math.sqrt(ea + eb)
    if se == 0.0:
        return Welch(diff, diff, diff, float(len(a) + len(b) - 2), 0.0 if diff else 1.0)
    denominator = (ea * ea) / (len(a) - 1) + (eb * eb) / (len(b) - 1)
    df = (ea + eb) ** 2 / denominator if denominator else float(len(a) + len(b) - 2)
    q = t_quantile(1.0 - (1.0 - confidence) / 2.0, df)
    p_value = 2.0 * (1.0 - t_cdf(abs(diff) / se, df))
    return Welch(diff, diff - q * se, diff + q * se, df, p_value)
