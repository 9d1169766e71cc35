using System.Globalization;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>How weights are scaled, following neural-tangents.</summary>
public enum Parametrization
{
    /// <summary>y = (W_std/√fan_in)·W·x + b_std·b with W, b ~ N(0, 1): the NTK has a finite limit.</summary>
    Ntk,
    /// <summary>y = W·x + b with W ~ N(0, W_std²/fan_in), b ~ N(0, b_std²): the NTK grows with the layer widths.</summary>
    Standard,
}

/// <summary>
/// Fully connected layer on the channel axis (a 1×1 convolution on spatial inputs).
/// Kernel: Σ′ = W_std²·Σ + b_std²; NTK′ = W_std²·NTK + Σ′ ('ntk'), or W_std²·NTK + fan_in·Σ + [bias] ('standard').
/// </summary>
public sealed class Dense : ILayer, Empirical.IDifferentiableLayer
{
    /// <summary>Output channels.</summary>
    public int Width { get; }
    /// <summary>Weight standard deviation W_std.</summary>
    public double WStd { get; }
    /// <summary>Bias standard deviation b_std; null for no bias.</summary>
    public double? BStd { get; }
    /// <summary>The parametrization.</summary>
    public Parametrization Parametrization { get; }

    /// <summary>Dense(width) with W_std, b_std (null: no bias) and parametrization.</summary>
    public Dense(int width, double wStd = 1, double? bStd = 0, Parametrization parametrization = Parametrization.Ntk)
    {
        if (width < 1) throw new ArgumentException($"Dense width must be ≥ 1, got {width}.", nameof(width));
        if (!(wStd >= 0) || !double.IsFinite(wStd)) throw new ArgumentException($"Dense w_std must be finite and ≥ 0, got {wStd}.", nameof(wStd));
        if (bStd is { } b && (!(b >= 0) || !double.IsFinite(b))) throw new ArgumentException($"Dense b_std must be finite and ≥ 0, got {b}.", nameof(bStd));
        Width = width; WStd = wStd; BStd = bStd; Parametrization = parametrization;
    }

    /// <inheritdoc/>
    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"dense({Width}, w_std={WStd}, b_std={(BStd is null ? "none" : BStd.Value.ToString(CultureInfo.InvariantCulture))}{(Parametrization == Parametrization.Standard ? ", parametrization=standard" : "")})");

    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input) => input with { Channels = Width };

    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) => state.Gaussian = true;

    /// <inheritdoc/>
    public Parameters Init(FeatureShape input, INormalSampler sampler)
    {
        double wScale = Parametrization == Parametrization.Ntk ? 1 : WStd / Math.Sqrt(input.Channels);
        // Stored [out, in] (rows are output units) so x·Wᵀ streams W row by row.
        var W = LayerUtil.Normal(sampler, wScale, Width, input.Channels);
        if (BStd is null) return new Parameters([W], []);
        var b = LayerUtil.Normal(sampler, Parametrization == Parametrization.Ntk ? 1 : BStd.Value, Width);
        return new Parameters([W, b], []);
    }

    /// <inheritdoc/>
    public Tensor<double> Apply(Parameters parameters, Tensor<double> x, INormalSampler? sampler = null)
    {
        int cin = x.Dim(-1);
        var W = parameters.Tensors[0];
        if (W.Dim(1) != cin)
            throw new ArgumentException($"{Name}: input has {cin} features but the weights expect {W.Dim(1)} (shape [{string.Join(", ", x.ShapeArray)}]).", nameof(x));
        int rows = x.Length / cin;
        var flat = (x.IsContiguous ? x : x.Contiguous()).Reshape(rows, cin);
        var y = Tensor.MatMul(flat, W.Mt);
        double wMul = Parametrization == Parametrization.Ntk ? WStd / Math.Sqrt(cin) : 1;
        double bMul = Parametrization == Parametrization.Ntk ? BStd ?? 0 : 1;
        var ys = y.AsSpan();
        var bias = BStd is null ? null : parameters.Tensors[1].ToArray();
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < Width; c++)
                ys[r * Width + c] = wMul * ys[r * Width + c] + (bias is null ? 0 : bMul * bias[c]);
        int[] shape = x.ShapeArray; shape[^1] = Width;
        return y.Reshape(shape);
    }

    /// <inheritdoc/>
    public Autograd.Var<double> Apply(Parameters parameters, Empirical.ParameterVars vars, Autograd.Var<double> x)
    {
        int cin = x.Shape[^1];
        var W = parameters.Tensors[0];
        if (W.Dim(1) != cin)
            throw new ArgumentException($"{Name}: input has {cin} features but the weights expect {W.Dim(1)} (shape [{string.Join(", ", x.Value.ShapeArray)}]).", nameof(x));
        int[] shape = x.Value.ShapeArray; shape[^1] = Width;
        var flat = x.Reshape(x.Value.Length / cin, cin);
        double wMul = Parametrization == Parametrization.Ntk ? WStd / Math.Sqrt(cin) : 1;
        var y = Autograd.Var<double>.MatMul(flat, vars[W].Mt) * wMul;
        if (BStd is not null)
            y = y + vars[parameters.Tensors[1]] * (Parametrization == Parametrization.Ntk ? BStd.Value : 1);
        return y.Reshape(shape);
    }

    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        Pairs(k.Nngp, k.Ntk, k.Channels);
        Covariances(k);
        return k;
    }

    /// <summary>The self-covariance update and bookkeeping of <see cref="Transform"/>.</summary>
    internal void Covariances(Kernel k)
    {
        double w2 = WStd * WStd, b2 = BStd is { } b ? b * b : 0;
        Affine(k.Cov1, w2, b2);
        Affine(k.Cov2, w2, b2);
        k.Channels = Width;
        k.IsGaussian = true;
    }

    /// <summary>The pair update of <see cref="Transform"/> on any run of entries (one row when fused after an activation).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal void Pairs(Span<double> nngp, Span<double> ntk, int channels)
    {
        double w2 = WStd * WStd, b2 = BStd is { } b ? b * b : 0;
        if (!ntk.IsEmpty)
        {
            if (Parametrization == Parametrization.Ntk)
            {
                // Σ′ = w²Σ + b², NTK′ = w²·NTK + Σ′ (TensorPrimitives: vectorised, already optimised code).
                Affine(nngp, w2, b2);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd<double>(ntk, w2, nngp, ntk);
            }
            else
            {
                double fanIn = channels, bias = BStd is null ? 0 : 1;
                for (int e = 0; e < nngp.Length; e++) { ntk[e] = w2 * ntk[e] + fanIn * nngp[e] + bias; nngp[e] = w2 * nngp[e] + b2; }
            }
        }
        else Affine(nngp, w2, b2);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void Affine(Span<double> a, double mul, double add)
    {
        System.Numerics.Tensors.TensorPrimitives.Multiply<double>(a, mul, a);
        if (add != 0) System.Numerics.Tensors.TensorPrimitives.Add<double>(a, add, a);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
