using System.Numerics;

namespace NativeFree.Tensors;

/// <summary>
/// Scalar special functions that .NET's Math lacks (erf) and the formulas every SIMD path is
/// tested against. Double precision throughout; the float versions round the double result.
/// </summary>
public static class ScalarMath
{
    private const double TwoOverSqrtPi = 1.1283791670955126;

    /// <summary>The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, accurate to a few ulp in double.</summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return x;
        double ax = Math.Abs(x);
        if (ax < 2.5)
        {
            // Maclaurin series: erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)); converges fast below 2.5.
            double x2 = x * x, term = x, sum = x;
            for (int n = 1; n < 80; n++)
            {
                term *= -x2 / n;
                double add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17 * Math.Abs(sum)) break;
            }
            return TwoOverSqrtPi * sum;
        }
        double r = 1.0 - Erfc(ax);
        return x < 0 ? -r : r;
    }

    /// <summary>The complementary error function 1 − erf(x), without cancellation for large x.</summary>
    public static double Erfc(double x)
    {
        if (double.IsNaN(x)) return x;
        if (x < 2.5) return 1.0 - Erf(x);
        if (x > 27) return 0.0;
        // Continued fraction erfc(x) = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), by modified Lentz.
        const double tiny = 1e-300;
        double f = x, c = x, d = 0;
        for (int n = 1; n < 300; n++)
        {
            double an = n * 0.5;
            d = x + an * d; if (Math.Abs(d) < tiny) d = tiny;
            c = x + an / c; if (Math.Abs(c) < tiny) c = tiny;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.Abs(delta - 1) < 1e-16) break;
        }
        return Math.Exp(-x * x) / (f * Math.Sqrt(Math.PI));
    }

    /// <summary>erf in T.</summary>
    public static T Erf<T>(T x) where T : IFloatingPointIeee754<T> => T.CreateTruncating(Erf(double.CreateTruncating(x)));

    /// <summary>GELU, erf form: x·Φ(x) = x/2·(1 + erf(x/√2)).</summary>
    public static T Gelu<T>(T x) where T : IFloatingPointIeee754<T>
    {
        double d = double.CreateTruncating(x);
        return T.CreateTruncating(0.5 * d * (1 + Erf(d * 0.70710678118654752)));
    }

    /// <summary>Logistic sigmoid 1/(1+e^(−x)), computed without overflow for large |x|.</summary>
    public static T Sigmoid<T>(T x) where T : IFloatingPointIeee754<T>
    {
        if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
        T e = T.Exp(x);
        return e / (T.One + e);
    }

    /// <summary>softplus(x) = log(1 + eˣ), stable: max(x,0) + log1p(e^(−|x|)).</summary>
    public static T Softplus<T>(T x) where T : IFloatingPointIeee754<T>
        => T.Max(x, T.Zero) + Log1p(T.Exp(-T.Abs(x)));

    /// <summary>log(1+x), accurate for small x.</summary>
    public static T Log1p<T>(T x) where T : IFloatingPointIeee754<T>
    {
        // Kahan's trick: log(u)·x/(u−1) with u = 1+x corrects the rounding of u.
        T u = T.One + x;
        if (u == T.One) return x;
        if (T.IsInfinity(u)) return T.Log(u);
        return T.Log(u) * x / (u - T.One);
    }

    /// <summary>eˣ − 1, accurate for small x.</summary>
    public static T Expm1<T>(T x) where T : IFloatingPointIeee754<T>
    {
        // Kahan: (u−1)·x/log(u) with u = eˣ.
        T u = T.Exp(x);
        if (u == T.One) return x;
        T um1 = u - T.One;
        if (um1 == -T.One) return -T.One;
        if (T.IsInfinity(u)) return u;
        return um1 * x / T.Log(u);
    }
}
