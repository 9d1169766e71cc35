using NativeFree.Kernels.Internal;
using NativeFree.Kernels.Prediction;
using NativeFree.Tensors;

namespace NativeFree.Kernels.InfiniteDepth;

/// <summary>The limit classifier of an infinitely deep NTK ("Wide and deep neural networks achieve optimality for classification").</summary>
public enum DepthRegime
{
    /// <summary>φ̌′(1) ≤ 1 (ReLU-like): the deep kernel becomes constant off the diagonal and the classifier a majority vote.</summary>
    MajorityVote,
    /// <summary>φ̌′(0) = 0: off-diagonal entries vanish fastest for the farthest points: 1-nearest-neighbour.</summary>
    NearestNeighbour,
    /// <summary>0 &lt; φ̌′(0) &lt; 1 &lt; φ̌′(1): a singular kernel (weights growing without bound near each training point).</summary>
    SingularKernel,
    /// <summary>Any other combination.</summary>
    Other,
}

/// <summary>
/// A normalised dual activation on the sphere: φ̌(ρ) = E[φ(u)φ(v)] for unit-variance (u, v) with correlation ρ,
/// scaled so that φ̌(1) = 1, and its derivative φ̌′(ρ) (the dual of φ′).
/// </summary>
public sealed class DualActivation
{
    private readonly Func<double, double> _value, _derivative;

    /// <summary>Name for messages.</summary>
    public string Name { get; }

    /// <summary>From φ̌ and φ̌′ (φ̌(1) must be 1).</summary>
    public DualActivation(string name, Func<double, double> value, Func<double, double> derivative)
    {
        _value = value; _derivative = derivative; Name = name;
        if (Math.Abs(value(1) - 1) > 1e-9) throw new ArgumentException($"{name}: a normalised dual needs φ̌(1) = 1, got {value(1)}.");
    }

    /// <summary>φ̌(ρ).</summary>
    public double Value(double rho) => _value(Math.Clamp(rho, -1, 1));
    /// <summary>φ̌′(ρ).</summary>
    public double Derivative(double rho) => _derivative(Math.Clamp(rho, -1, 1));

    /// <summary>ReLU with W_std² = 2: φ̌(ρ) = (√(1 − ρ²) + (π − arccos ρ)ρ)/π, φ̌′(ρ) = (π − arccos ρ)/π. φ̌′(1) = 1: majority vote.</summary>
    public static DualActivation Relu() => new("relu",
        r => (Math.Sqrt(Math.Max(1 - r * r, 0)) + (Math.PI - Math.Acos(r)) * r) / Math.PI,
        r => (Math.PI - Math.Acos(r)) / Math.PI);

    /// <summary>
    /// The dual with Hermite weights cₖ ≥ 0 (Σ cₖ = 1): φ̌(ρ) = Σ cₖρᵏ, φ̌′(ρ) = Σ k·cₖρᵏ⁻¹ — any normalised dual of
    /// a nonlinearity has this form (e.g. [0, 0, 0, 1] is the normalised third Hermite polynomial).
    /// </summary>
    public static DualActivation Hermite(params double[] weights)
    {
        if (weights.Length == 0 || weights.Any(w => w < 0 || !double.IsFinite(w)))
            throw new ArgumentException("Hermite weights must be finite and non-negative.", nameof(weights));
        double sum = weights.Sum();
        if (Math.Abs(sum - 1) > 1e-12) throw new ArgumentException($"Hermite weights must sum to 1 (φ̌(1) = 1), got {sum}.", nameof(weights));
        var w = (double[])weights.Clone();
        return new DualActivation($"hermite({string.Join(", ", w)})",
            r => { double s = 0, p = 1; foreach (var c in w) { s += c * p; p *= r; } return s; },
            r => { double s = 0, p = 1; for (int k = 1; k < w.Length; k++) { s += k * w[k] * p; p *= r; } return s; });
    }

    /// <summary>Which limit the infinitely deep NTK classifier reaches, from φ̌′(0) and φ̌′(1).</summary>
    public DepthRegime Regime
    {
        get
        {
            double d0 = Derivative(0), d1 = Derivative(1);
            if (Math.Abs(d0) < 1e-12) return DepthRegime.NearestNeighbour;
            if (d1 <= 1 + 1e-12) return DepthRegime.MajorityVote;
            if (d0 > 0 && d0 < 1 && d1 > 1) return DepthRegime.SingularKernel;
            return DepthRegime.Other;
        }
    }
}

/// <summary>
/// The NTK of a deep fully connected network on unit-norm inputs, through the normalised dual:
/// Σ₀ = ρ, K₀ = ρ; Σₗ₊₁ = φ̌(Σₗ), Kₗ₊₁ = φ̌(Σₗ) + Kₗ·φ̌′(Σₗ). The depth-L kernel is reported divided by
/// its diagonal value Kₗ(1), which leaves kernel classifiers unchanged and has a limit as L → ∞.
/// </summary>
public static class DeepNtk
{
    /// <summary>Kₗ(ρ)/Kₗ(1) at depth <paramref name="depth"/>.</summary>
    public static double Normalized(DualActivation dual, double rho, int depth)
    {
        if (depth < 0) throw new ArgumentException($"Depth must be ≥ 0, got {depth}.", nameof(depth));
        double s = Math.Clamp(rho, -1, 1), k = s, s1 = 1, k1 = 1;
        for (int l = 0; l < depth; l++)
        {
            double ds = dual.Derivative(s), d1 = dual.Derivative(s1);
            k = dual.Value(s) + k * ds;
            k1 = dual.Value(s1) + k1 * d1;
            s = dual.Value(s);
            s1 = dual.Value(s1);
            // Rescale both by the diagonal to stay finite at any depth (the ratio is what matters).
            k /= k1; k1 = 1;
        }
        return k / k1;
    }

    /// <summary>
    /// Iterates until Kₗ(ρ)/Kₗ(1) changes by less than <paramref name="tolerance"/> (or <paramref name="maxDepth"/>):
    /// the infinite-depth limit. Returns the value and the depth reached.
    /// </summary>
    public static (double Value, int Depth) Limit(DualActivation dual, double rho, double tolerance = 1e-10, int maxDepth = 1_000_000)
    {
        double s = Math.Clamp(rho, -1, 1), k = s, s1 = 1, prev = double.NaN;
        for (int l = 0; l < maxDepth; l++)
        {
            k = (dual.Value(s) + k * dual.Derivative(s)) / (dual.Value(s1) + dual.Derivative(s1));
            s = dual.Value(s);
            if (Math.Abs(k - prev) < tolerance) return (k, l + 1);
            prev = k;
        }
        return (k, maxDepth);
    }

    /// <summary>Normalised deep NTK matrix between unit-norm rows of x1 [n1 × d] and x2 [n2 × d].</summary>
    public static Tensor<double> Matrix(DualActivation dual, Tensor<double> x1, Tensor<double> x2, int depth)
    {
        if (x1.Rank != 2 || x2.Rank != 2 || x1.Dim(1) != x2.Dim(1))
            throw new ArgumentException($"Inputs must be [n × d] with equal d, got [{string.Join(", ", x1.ShapeArray)}] and [{string.Join(", ", x2.ShapeArray)}].");
        var a = x1.ToArray(); var b = x2.ToArray();
        int n1 = x1.Dim(0), n2 = x2.Dim(0), d = x1.Dim(1);
        CheckSphere(a, n1, d, nameof(x1)); CheckSphere(b, n2, d, nameof(x2));
        var k = new double[n1 * n2];
        for (int i = 0; i < n1; i++)
            for (int j = 0; j < n2; j++)
            {
                double rho = System.Numerics.Tensors.TensorPrimitives.Dot<double>(a.AsSpan(i * d, d), b.AsSpan(j * d, d));
                k[i * n2 + j] = Normalized(dual, rho, depth);
            }
        return Tensor.FromArray(k, n1, n2);
    }

    private static void CheckSphere(double[] a, int n, int d, string name)
    {
        for (int i = 0; i < n; i++)
        {
            double s = 0;
            for (int c = 0; c < d; c++) { double v = a[i * d + c]; if (!double.IsFinite(v)) throw new ArgumentException($"{name} row {i} has a non-finite value.", name); s += v * v; }
            if (Math.Abs(s - 1) > 1e-6) throw new ArgumentException($"{name} row {i} has norm² {s:G6}; deep kernels on the sphere need unit-norm inputs.", name);
        }
    }
}

/// <summary>
/// Kernel regression classifier with the normalised deep NTK (labels ±1 per one-hot column), showing the
/// wide-and-deep regimes: predictions approach a majority vote, 1-nearest-neighbour or a singular-kernel rule.
/// </summary>
public sealed class DeepKernelClassifier
{
    private readonly DualActivation _dual;
    private readonly int _depth;
    private readonly Tensor<double> _x;
    private readonly KernelRegression _reg;
    private readonly int _classes;

    /// <summary>Fits on unit-norm rows <paramref name="x"/> with integer labels.</summary>
    public DeepKernelClassifier(DualActivation dual, int depth, Tensor<double> x, int[] labels, int classes, double diagReg = 1e-10)
    {
        _dual = dual; _depth = depth; _x = x; _classes = classes;
        if (labels.Length != x.Dim(0)) throw new ArgumentException($"{labels.Length} labels for {x.Dim(0)} inputs.", nameof(labels));
        var k = DeepNtk.Matrix(dual, x, x, depth);
        _reg = new KernelRegression(k, OneHot.Encode(labels, classes), diagReg, DiagonalRegularization.Absolute);
    }

    /// <summary>The regime implied by the dual activation.</summary>
    public DepthRegime Regime => _dual.Regime;

    /// <summary>Class scores [t × classes].</summary>
    public Tensor<double> Scores(Tensor<double> xTest) => _reg.Mean(DeepNtk.Matrix(_dual, xTest, _x, _depth));

    /// <summary>Predicted labels.</summary>
    public int[] Predict(Tensor<double> xTest) => OneHot.Decode(Scores(xTest));
}
