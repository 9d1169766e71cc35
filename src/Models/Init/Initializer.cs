using System.Numerics;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Init;

/// <summary>
/// A distribution for a parameter's initial values, as a description (so a spec or checkpoint can say
/// how a layer was initialised, and the kernels can read the weight variance without sampling).
/// Every initializer draws from the seeded Philox generator, whose stream does not depend on the
/// thread count, so the same seed gives the same weights everywhere.
/// </summary>
public abstract record Initializer
{
    /// <summary>Overwrites <paramref name="value"/> with fresh samples (in place; any strides).</summary>
    public void Fill<T>(Tensor<T> value, int fanIn, int fanOut, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(rng);
        if (value.IsContiguous) { FillSpan(value.AsSpan(), value.ShapeArray, fanIn, fanOut, rng); return; }
        var fresh = Tensor.Zeros<T>(value.ShapeArray);
        FillSpan(fresh.AsSpan(), value.ShapeArray, fanIn, fanOut, rng);
        value.CopyFrom(fresh);
    }

    /// <summary>Draws the samples into a contiguous span of a tensor of shape <paramref name="shape"/>.</summary>
    protected abstract void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>Variance of one element for the given fans (what an infinite-width kernel needs).</summary>
    public abstract double Variance(int fanIn, int fanOut);

    /// <summary>Mean of one element (0 for every initializer but <see cref="Constant"/>).</summary>
    public virtual double Mean => 0;

    /// <summary>Zeros.</summary>
    public static Initializer Zeros { get; } = new Constant(0);

    /// <summary>Ones.</summary>
    public static Initializer Ones { get; } = new Constant(1);

    /// <summary>The gain torch.nn.init.calculate_gain gives for a nonlinearity (relu, leaky_relu, tanh, sigmoid, linear, selu).</summary>
    public static double Gain(string nonlinearity, double param = 0.01) => nonlinearity switch
    {
        "linear" or "identity" or "conv1d" or "conv2d" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + param * param)),
        "selu" => 3.0 / 4,
        _ => throw new ArgumentException($"No gain is known for nonlinearity '{nonlinearity}' (relu, leaky_relu, tanh, sigmoid, linear, selu).", nameof(nonlinearity)),
    };

    internal static int CheckFan(int fan, string which, string init)
        => fan >= 1 ? fan : throw new ArgumentException($"{init} needs {which} ≥ 1; got {fan}.");
}

/// <summary>Every element equal to <paramref name="Value"/>.</summary>
public sealed record Constant(double Value) : Initializer
{
    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng) => destination.Fill(T.CreateTruncating(Value));
    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) => 0;
    /// <inheritdoc/>
    public override double Mean => Value;
}

/// <summary>N(0, <paramref name="Std"/>²), independent of the fans (neural-tangents' NTK parametrization draws W ~ N(0, 1)).</summary>
public sealed record Normal(double Std) : Initializer
{
    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng)
        => rng.FillNormal(destination, T.Zero, T.CreateTruncating(Std));
    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) => Std * Std;
}

/// <summary>N(0, <paramref name="Scale"/>²/fan_in): neural-tangents' standard parametrization (W_std/√fan_in).</summary>
public sealed record NormalFanIn(double Scale) : Initializer
{
    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng)
        => rng.FillNormal(destination, T.Zero, T.CreateTruncating(Scale / Math.Sqrt(CheckFan(fanIn, "fan_in", "NormalFanIn"))));
    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) => Scale * Scale / fanIn;
}

/// <summary>U(<paramref name="Low"/>, <paramref name="High"/>).</summary>
public sealed record Uniform(double Low, double High) : Initializer
{
    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng)
        => rng.FillUniform(destination, T.CreateTruncating(Low), T.CreateTruncating(High));
    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) => (High - Low) * (High - Low) / 12;
    /// <inheritdoc/>
    public override double Mean => (Low + High) / 2;
}

/// <summary>
/// U(−1/√fan_in, 1/√fan_in): the bias initialisation of torch.nn.Linear and Conv (variance 1/(3·fan_in)).
/// </summary>
public sealed record UniformFanIn : Initializer
{
    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng)
    {
        double b = 1 / Math.Sqrt(CheckFan(fanIn, "fan_in", "UniformFanIn"));
        rng.FillUniform(destination, T.CreateTruncating(-b), T.CreateTruncating(b));
    }
    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) => 1.0 / (3.0 * fanIn);
}

/// <summary>
/// He/Kaiming initialisation, as torch.nn.init: std = gain/√fan (fan_in or fan_out by
/// <paramref name="FanOutMode"/>), gain from <paramref name="Nonlinearity"/> and its slope
/// <paramref name="A"/>; uniform with bound √3·std, or normal. torch.nn.Linear and Conv default to
/// uniform with a = √5, leaky_relu: bound 1/√fan_in.
/// </summary>
public sealed record Kaiming(bool UniformDistribution = true, double A = 0, string Nonlinearity = "leaky_relu", bool FanOutMode = false) : Initializer
{
    /// <summary>torch.nn.Linear/Conv's default weight initialisation: kaiming_uniform_(a = √5).</summary>
    public static Kaiming TorchDefault { get; } = new(true, Math.Sqrt(5));

    private double Std(int fanIn, int fanOut)
    {
        int fan = FanOutMode ? CheckFan(fanOut, "fan_out", "Kaiming") : CheckFan(fanIn, "fan_in", "Kaiming");
        return Gain(Nonlinearity, A) / Math.Sqrt(fan);
    }

    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng)
    {
        double std = Std(fanIn, fanOut);
        if (UniformDistribution) rng.FillUniform(destination, T.CreateTruncating(-Math.Sqrt(3) * std), T.CreateTruncating(Math.Sqrt(3) * std));
        else rng.FillNormal(destination, T.Zero, T.CreateTruncating(std));
    }

    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) { double s = Std(fanIn, fanOut); return s * s; }
}

/// <summary>Glorot/Xavier initialisation: std = gain·√(2/(fan_in + fan_out)); uniform with bound √3·std, or normal.</summary>
public sealed record Xavier(bool UniformDistribution = true, double GainValue = 1) : Initializer
{
    private double Std(int fanIn, int fanOut) => GainValue * Math.Sqrt(2.0 / (CheckFan(fanIn, "fan_in", "Xavier") + CheckFan(fanOut, "fan_out", "Xavier")));

    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng)
    {
        double std = Std(fanIn, fanOut);
        if (UniformDistribution) rng.FillUniform(destination, T.CreateTruncating(-Math.Sqrt(3) * std), T.CreateTruncating(Math.Sqrt(3) * std));
        else rng.FillNormal(destination, T.Zero, T.CreateTruncating(std));
    }

    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) { double s = Std(fanIn, fanOut); return s * s; }
}

/// <summary>
/// A (semi-)orthogonal matrix times <paramref name="GainValue"/>, as torch.nn.init.orthogonal_: the tensor is
/// viewed as [shape[0], rest]; a Gaussian matrix is orthonormalised (QR, with R's diagonal made positive so the
/// result is Haar-distributed). Rows are orthonormal when rows ≤ columns, columns otherwise.
/// </summary>
public sealed record Orthogonal(double GainValue = 1) : Initializer
{
    /// <inheritdoc/>
    protected override void FillSpan<T>(Span<T> destination, int[] shape, int fanIn, int fanOut, Rng rng)
    {
        if (shape.Length < 2) throw new ArgumentException($"Orthogonal initialisation needs a tensor of rank ≥ 2; got shape {ShapeUtil.Format(shape)}.");
        int rows = shape[0], cols = destination.Length / Math.Max(rows, 1);
        bool wide = rows < cols;
        int m = wide ? cols : rows, n = wide ? rows : cols;             // orthonormalise the n columns of a tall m×n matrix
        var q = new double[m * n];                                       // column-major: column j at q[j·m ..]
        rng.FillNormal<double>(q, 0.0, 1.0);
        for (int j = 0; j < n; j++)
        {
            var cj = q.AsSpan(j * m, m);
            // Modified Gram–Schmidt, twice ("twice is enough") for orthogonality to rounding.
            for (int pass = 0; pass < 2; pass++)
                for (int i = 0; i < j; i++)
                {
                    var ci = q.AsSpan(i * m, m);
                    double dot = System.Numerics.Tensors.TensorPrimitives.Dot<double>(ci, cj);
                    for (int r = 0; r < m; r++) cj[r] -= dot * ci[r];
                }
            double norm = Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot<double>(cj, cj));
            if (!(norm > 1e-300)) throw new InvalidOperationException("Orthogonal initialisation drew a rank-deficient Gaussian matrix (probability zero); try another seed.");
            for (int r = 0; r < m; r++) cj[r] /= norm;                   // R's diagonal is the positive norm, so no sign fix is needed
        }
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                destination[r * cols + c] = T.CreateTruncating(GainValue * (wide ? q[r * m + c] : q[c * m + r]));
    }

    /// <inheritdoc/>
    public override double Variance(int fanIn, int fanOut) => GainValue * GainValue / Math.Max(fanIn, fanOut);
}
