"""tables.py — shared by the table scripts of scripts/experiments/ (imported,
not run): accuracies over seeds as the tables print them."""
import math


def mean_sd(xs, seeds=None, ranges=False):
    """Fractions xs (None where a seed has no value) as "m ± sd" in %,
    sd the sample standard deviation; with ranges, then "(min–max)" and,
    when fewer values than `seeds` (a count), how many.  "–" for none."""
    xs = [100 * x for x in xs if x is not None]
    if not xs:
        return "–"
    m = sum(xs) / len(xs)
    sd = math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)) if len(xs) > 1 else 0.0
    if not ranges:
        return f"{m:.2f} ± {sd:.2f}"
    n = "" if seeds is None or len(xs) == seeds else \
        f", {len(xs)} seed{'s' if len(xs) > 1 else ''}"
    return f"{m:.2f} ± {sd:.2f} ({min(xs):.1f}–{max(xs):.1f}{n})"
