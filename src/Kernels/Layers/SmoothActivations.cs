using System.Globalization;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>
/// φ(x) = a·erf(b·x) + c. E[φφ] = a²·(2/π)·asin(2b²k12 / √((1 + 2b²k11)(1 + 2b²k22))) + c²,
/// E[φ′φ′] = a²b²·(4/π) / √((1 + 2b²k11)(1 + 2b²k22) − 4b⁴k12²) (Williams 1997).
/// </summary>
public sealed partial class Erf(double a = 1, double b = 1, double c = 0) : Activation
{
    /// <inheritdoc/>
    public override string Name => FormattableString.Invariant($"erf({a}, {b}, {c})");
    /// <inheritdoc/>
    public override double Value(double x) => a * ScalarMath.Erf(b * x) + c;
    /// <inheritdoc/>
    public override double Derivative(double x) => a * b * 2 / Math.Sqrt(Math.PI) * Math.Exp(-b * b * x * x);
    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        double b2 = 2 * b * b;
        for (int e = 0; e < k12.Length; e++)
        {
            double d1 = 1 + b2 * k11[e], d2 = 1 + b2 * k22[e], x = k12[e];
            double arg = Math.Clamp(b2 * x / Math.Sqrt(d1 * d2), -1, 1);
            k12[e] = a * a * 2 / Math.PI * Math.Asin(arg) + c * c;
            if (!ntk.IsEmpty) ntk[e] *= a * a * b * b * 4 / Math.PI / Math.Sqrt(Math.Max(d1 * d2 - b2 * b2 * x * x, 1e-300));
        }
    }
}

/// <summary>
/// GELU, φ(x) = x·Φ(x) (exact erf form). Closed form of Tsuchida et al. (arXiv:2002.08517) as in neural-tangents:
/// with Δ² = (k11 + 1)(k22 + 1) − k12² and α = atan2(k12, Δ),
/// E[φφ] = k12/4 + (k12² + k11k22Δ²)/((k11 + 1)(k22 + 1)Δ)/(2π) + k12·α/(2π).
/// </summary>
public sealed partial class Gelu : Activation
{
    /// <inheritdoc/>
    public override string Name => "gelu";
    /// <inheritdoc/>
    public override double Value(double x) => 0.5 * x * (1 + ScalarMath.Erf(x / Math.Sqrt(2)));
    /// <inheritdoc/>
    public override double Derivative(double x) => 0.5 * (1 + ScalarMath.Erf(x / Math.Sqrt(2))) + x * Math.Exp(-0.5 * x * x) / Math.Sqrt(2 * Math.PI);
    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        for (int e = 0; e < k12.Length; e++)
        {
            double x = k12[e], prod = k11[e] * k22[e], prod1 = (k11[e] + 1) * (k22[e] + 1);
            double d2 = Math.Max(prod1 - x * x, 1e-300), d = Math.Sqrt(d2);
            double ang = Math.Atan2(x, d);
            k12[e] = ((x * x + prod * d2) / (prod1 * d) + x * ang) / (2 * Math.PI) + 0.25 * x;
            if (!ntk.IsEmpty)
            {
                double first = (1 / d2 + (1 - prod) / prod1 + 1) * x / d / (2 * Math.PI);
                ntk[e] *= first + 0.25 + ang / (2 * Math.PI);
            }
        }
    }
}

/// <summary>
/// φ(x) = a·sin(b·x + c) (Cos adds π/2 to c). With S = (k11 + k22)/2:
/// E[φφ] = a²/2·(e^{b²(k12 − S)} − cos(2c)·e^{−b²(k12 + S)}), E[φ′φ′] = a²b²/2·(e^{b²(k12 − S)} + cos(2c)·e^{−b²(k12 + S)}).
/// </summary>
public sealed partial class Sin(double a = 1, double b = 1, double c = 0, string? name = null) : Activation
{
    /// <summary>a·cos(b·x + c) as a shifted sine.</summary>
    public static Sin Cos(double a = 1, double b = 1, double c = 0) => new(a, b, c + Math.PI / 2, FormattableString.Invariant($"cos({a}, {b}, {c})"));

    /// <inheritdoc/>
    public override string Name => name ?? FormattableString.Invariant($"sin({a}, {b}, {c})");
    /// <inheritdoc/>
    public override double Value(double x) => a * Math.Sin(b * x + c);
    /// <inheritdoc/>
    public override double Derivative(double x) => a * b * Math.Cos(b * x + c);
    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        double b2 = b * b, cos2c = Math.Cos(2 * c);
        for (int e = 0; e < k12.Length; e++)
        {
            double S = 0.5 * (k11[e] + k22[e]), x = k12[e];
            double s1 = Math.Exp(b2 * (x - S)), s2 = Math.Exp(-b2 * (x + S)) * cos2c;
            k12[e] = a * a / 2 * (s1 - s2);
            if (!ntk.IsEmpty) ntk[e] *= a * a * b2 / 2 * (s1 + s2);
        }
    }
}

/// <summary>
/// The random-Fourier-feature activation φ(x) = √2·sin(√(2γ)·x + π/4) whose NNGP is the RBF kernel
/// exp(−γ(k11 + k22 − 2k12)); E[φ′φ′] = 2γ·exp(−γ(k11 + k22 − 2k12)).
/// </summary>
public sealed partial class Rbf(double gamma = 1) : Activation
{
    /// <inheritdoc/>
    public override string Name => FormattableString.Invariant($"rbf({gamma})");
    /// <inheritdoc/>
    public override double Value(double x) => Math.Sqrt(2) * Math.Sin(Math.Sqrt(2 * gamma) * x + Math.PI / 4);
    /// <inheritdoc/>
    public override double Derivative(double x) => 2 * Math.Sqrt(gamma) * Math.Cos(Math.Sqrt(2 * gamma) * x + Math.PI / 4);
    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        for (int e = 0; e < k12.Length; e++)
        {
            double v = Math.Exp(-gamma * (k11[e] + k22[e] - 2 * k12[e]));
            k12[e] = v;
            if (!ntk.IsEmpty) ntk[e] *= 2 * gamma * v;
        }
    }
}

/// <summary>
/// φ(x) = sign(x): E[φφ] = 1 − 2θ/π. Its derivative is zero almost everywhere, so the NTK
/// contribution of earlier layers vanishes (as in neural-tangents).
/// </summary>
public sealed partial class Sign : Activation
{
    /// <inheritdoc/>
    public override string Name => "sign";
    /// <inheritdoc/>
    public override double Value(double x) => Math.Sign(x);
    /// <inheritdoc/>
    public override double Derivative(double x) => 0;
    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        for (int e = 0; e < k12.Length; e++)
        {
            double norm = Math.Sqrt(k11[e] * k22[e]);
            if (norm <= 0) { k12[e] = 0; }
            else k12[e] = 2 / Math.PI * Math.Asin(Math.Clamp(k12[e] / norm, -1, 1));
            if (!ntk.IsEmpty) ntk[e] = 0;
        }
    }
}

/// <summary>
/// φ(x) = xⁿ. By the Hermite expansion xⁿ = Σₘ aₙₘ Heₘ(x), aₙₘ = n!/(m!·((n−m)/2)!·2^((n−m)/2)):
/// E[uⁿvⁿ] = Σₘ aₙₘ²·m!·k12ᵐ·(k11k22)^((n−m)/2); E[φ′φ′] = n²·E[uⁿ⁻¹vⁿ⁻¹].
/// </summary>
public sealed partial class Monomial : Activation
{
    private readonly int _degree;

    /// <summary>φ(x) = x^degree, degree in 0…16.</summary>
    public Monomial(int degree)
    {
        if (degree is < 0 or > 16) throw new ArgumentException($"Monomial degree must be in 0..16, got {degree}.", nameof(degree));
        _degree = degree;
    }

    /// <inheritdoc/>
    public override string Name => $"monomial({_degree})";
    /// <inheritdoc/>
    public override double Value(double x) => Math.Pow(x, _degree);
    /// <inheritdoc/>
    public override double Derivative(double x) => _degree == 0 ? 0 : _degree * Math.Pow(x, _degree - 1);

    internal static double Moment(int n, double k11, double k22, double k12)
    {
        if (n == 0) return 1;
        double sum = 0, prod = k11 * k22;
        for (int m = n % 2; m <= n; m += 2)
        {
            int h = (n - m) / 2;
            double a = Factorial(n) / (Factorial(m) * Factorial(h) * Math.Pow(2, h));
            sum += a * a * Factorial(m) * Math.Pow(k12, m) * Math.Pow(prod, h);
        }
        return sum;
    }

    private static double Factorial(int n) { double f = 1; for (int i = 2; i <= n; i++) f *= i; return f; }

    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        int n = _degree;
        for (int e = 0; e < k12.Length; e++)
        {
            double x = k12[e];
            k12[e] = Moment(n, k11[e], k22[e], x);
            if (!ntk.IsEmpty) ntk[e] *= n == 0 ? 0 : n * n * Moment(n - 1, k11[e], k22[e], x);
        }
    }
}

/// <summary>
/// φ(x) = max(x, 0)ⁿ for any n in 0…128 (Jₙ for n ≥ 2 by the recursion in <see cref="ArcCosine.J"/>): the arc-cosine kernels of Cho and Saul,
/// E[φφ] = (k11k22)^(n/2)/(2π)·Jₙ(θ) with J₀ = π − θ, J₁ = sin θ + (π − θ)cos θ,
/// J₂ = 3 sin θ cos θ + (π − θ)(1 + 2cos²θ); E[φ′φ′] = n²·(k11k22)^((n−1)/2)/(2π)·Jₙ₋₁(θ) (0 for n = 0, a step).
/// </summary>
public sealed partial class RectifiedMonomial : Activation
{
    private readonly int _degree;

    /// <summary>φ(x) = max(x, 0)^degree with degree in 0…<see cref="ArcCosine.MaxDegree"/>.</summary>
    public RectifiedMonomial(int degree)
    {
        if (degree < 0 || degree > ArcCosine.MaxDegree) throw new ArgumentException($"Rectified monomial degree must be in 0..{ArcCosine.MaxDegree}, got {degree}.", nameof(degree));
        _degree = degree;
    }

    /// <inheritdoc/>
    public override string Name => $"rectified_monomial({_degree})";
    /// <inheritdoc/>
    public override double Value(double x) => x > 0 ? Math.Pow(x, _degree) : 0;
    /// <inheritdoc/>
    public override double Derivative(double x) => _degree == 0 || x <= 0 ? 0 : _degree * Math.Pow(x, _degree - 1);

    internal static double J(int n, double th) => ArcCosine.J(n, th);

    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk)
    {
        int n = _degree;
        for (int e = 0; e < k12.Length; e++)
        {
            double prod = k11[e] * k22[e], norm = Math.Sqrt(prod);
            double c = norm > 0 ? Math.Clamp(k12[e] / norm, -1, 1) : 0;
            double th = Math.Acos(c);
            k12[e] = Math.Pow(prod, n / 2.0) / (2 * Math.PI) * J(n, th);
            if (!ntk.IsEmpty) ntk[e] *= n == 0 ? 0 : n * n * Math.Pow(prod, (n - 1) / 2.0) / (2 * Math.PI) * J(n - 1, th);
        }
    }
}

/// <summary>φ(x) = x: leaves the kernels unchanged (and the pre-activations Gaussian).</summary>
public sealed class Identity : Activation
{

    /// <inheritdoc/>
    public override string Name => "identity";
    /// <inheritdoc/>
    public override double Value(double x) => x;
    /// <inheritdoc/>
    public override double Derivative(double x) => 1;
    /// <inheritdoc/>
    public override void Dual(ReadOnlySpan<double> k11, ReadOnlySpan<double> k22, Span<double> k12, Span<double> ntk) { }
    /// <inheritdoc/>
    public override Kernel Transform(Kernel k) => k;
    /// <inheritdoc/>
    public override void Analyze(LayerAnalysis state) { }
}
