using System.Globalization;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>How weights are scaled, following neural-tangents.</summary>
public enum WeightScaling
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
public sealed class Dense : ILayer
{
    /// <summary>Output channels.</summary>
    public int Width { get; }
    /// <summary>Weight standard deviation W_std.</summary>
    public double WStd { get; }
    /// <summary>Bias standard deviation b_std; null for no bias.</summary>
    public double? BStd { get; }
    /// <summary>The parametrization.</summary>
    public WeightScaling Scaling { get; }

    /// <summary>Dense(width) with W_std, b_std (null: no bias) and parametrization.</summary>
    public Dense(int width, double wStd = 1, double? bStd = 0, WeightScaling parametrization = WeightScaling.Ntk)
    {
        if (width < 1) throw new ArgumentException($"Dense width must be ≥ 1, got {width}.", nameof(width));
        if (!(wStd >= 0) || !double.IsFinite(wStd)) throw new ArgumentException($"Dense w_std must be finite and ≥ 0, got {wStd}.", nameof(wStd));
        if (bStd is { } b && (!(b >= 0) || !double.IsFinite(b))) throw new ArgumentException($"Dense b_std must be finite and ≥ 0, got {b}.", nameof(bStd));
        Width = width; WStd = wStd; BStd = bStd; Scaling = parametrization;
    }

    /// <inheritdoc/>
    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"dense({Width}, w_std={WStd}, b_std={(BStd is null ? "none" : BStd.Value.ToString(CultureInfo.InvariantCulture))}{(Scaling == WeightScaling.Standard ? ", parametrization=standard" : "")})");

    /// <summary>
    /// Refuse inputs with spatial axes: set for a Models <c>linear</c>/<c>dense</c>, which acts on the last axis of
    /// an NCHW per-example shape (W), not on the channels of every position as this transform does.
    /// </summary>
    public bool FlatInputsOnly { get; init; }

    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input)
        => FlatInputsOnly && input.Spatial.Length > 0
            ? throw new ArgumentException($"{Name}: input of shape {input} (channels last) has spatial axes; a linear layer acts on the last axis of [C, …], " +
                "so flatten or global_avg_pool first (or use a 1×1 conv to mix channels per position).")
            : input with { Channels = Width };

    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) => state.Gaussian = true;

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
            if (Scaling == WeightScaling.Ntk)
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
