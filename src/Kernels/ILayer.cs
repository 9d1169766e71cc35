using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Kernels;

/// <summary>
/// One layer of a network description. Like a neural-tangents stax layer it gives three things from
/// one object: parameter initialisation, the finite forward pass, and the infinite-width kernel transform.
/// </summary>
public interface ILayer
{
    /// <summary>A short readable name, e.g. <c>dense(512, w_std=1.5)</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The output shape for an input shape, checking everything the kernel transform and the forward
    /// pass will rely on (feature sizes, spatial sizes). Throws <see cref="ArgumentException"/> naming the layer.
    /// </summary>
    FeatureShape OutputShape(FeatureShape input);

    /// <summary>Static analysis used to pick the kernel's storage (see <see cref="LayerAnalysis"/>).</summary>
    void Analyze(LayerAnalysis state);

    /// <summary>Samples the parameters of a finite network for inputs of shape <paramref name="input"/>.</summary>
    Parameters Init(FeatureShape input, INormalSampler sampler);

    /// <summary>Forward pass of the finite network on a batch [N, …spatial, C].</summary>
    /// <param name="parameters">From <see cref="Init"/>.</param>
    /// <param name="x">The batch.</param>
    /// <param name="sampler">Randomness for stochastic layers (Dropout in training mode); may be null otherwise.</param>
    Tensor<double> Apply(Parameters parameters, Tensor<double> x, INormalSampler? sampler = null);

    /// <summary>The infinite-width kernel transform: updates <paramref name="k"/> (or returns a new kernel).</summary>
    Kernel Transform(Kernel k);
}

/// <summary>
/// Parameters of a finite network: the tensors of one layer, and the parameters of sub-layers for
/// combinators (Serial, parallel branches). Kept as plain tensors so that Autograd can wrap them later.
/// </summary>
public sealed class Parameters
{
    /// <summary>No parameters.</summary>
    public static readonly Parameters Empty = new([], []);

    /// <summary>This layer's own tensors (e.g. W then b).</summary>
    public Tensor<double>[] Tensors { get; }

    /// <summary>Sub-layers' parameters, in order.</summary>
    public Parameters[] Children { get; }

    /// <summary>Creates a parameter node.</summary>
    public Parameters(Tensor<double>[] tensors, Parameters[] children) { Tensors = tensors; Children = children; }

    /// <summary>Every tensor, depth first (the flat list an optimiser sees).</summary>
    public IEnumerable<Tensor<double>> All() => Tensors.Concat(Children.SelectMany(c => c.All()));
}

/// <summary>
/// What a walk over the layers learns before any kernel is computed: whether the full spatial
/// covariance is needed (AvgPool, GlobalAvgPool), and whether the full self-covariances must be kept
/// (a pooling layer followed by a layer that reads variances).
/// </summary>
public sealed class LayerAnalysis
{
    /// <summary>Some layer mixes positions (needs Σ(p,q) for p ≠ q).</summary>
    public bool NeedsFullSpatial { get; set; }
    /// <summary>A position-mixing layer has been seen on this path.</summary>
    public bool SeenMixing { get; set; }
    /// <summary>Some layer reads variances after positions were mixed, so self-covariances must be full.</summary>
    public bool NeedsFullCov { get; set; }

    /// <summary>
    /// Whether the current values are jointly Gaussian over the random weights: false for raw inputs
    /// (deterministic) and after a nonlinearity; true after Dense/Conv.
    /// </summary>
    public bool Gaussian { get; set; }

    /// <summary>Marks a layer that mixes spatial positions.</summary>
    public void Mixing() { NeedsFullSpatial = true; SeenMixing = true; }

    /// <summary>Marks a layer that reads the self-variances.</summary>
    public void ReadsVariance() { if (SeenMixing) NeedsFullCov = true; }

    /// <summary>A copy for a branch.</summary>
    public LayerAnalysis Copy() => new() { NeedsFullSpatial = NeedsFullSpatial, SeenMixing = SeenMixing, NeedsFullCov = NeedsFullCov, Gaussian = Gaussian };

    /// <summary>Merges a branch's findings.</summary>
    public void Merge(LayerAnalysis b) { NeedsFullSpatial |= b.NeedsFullSpatial; SeenMixing |= b.SeenMixing; NeedsFullCov |= b.NeedsFullCov; }
}

/// <summary>
/// Standard normal samples for parameter initialisation. Kept as one small interface so the library's
/// counter-based generator can replace the default System.Random one without touching the layers.
/// </summary>
public interface INormalSampler
{
    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) samples.</summary>
    void FillNormal(Span<double> destination);
}

/// <summary>
/// N(0,1) samples from the library's counter-based generator (<see cref="NativeFree.Tensors.Randomness.Rng"/>,
/// Philox): reproducible per seed and independent of System.Random. Not cryptographic.
/// </summary>
public sealed class SeededNormalSampler : INormalSampler
{
    private readonly NativeFree.Tensors.Randomness.Rng _rng;

    /// <summary>Creates a sampler with a fixed seed.</summary>
    public SeededNormalSampler(int seed) { _rng = new NativeFree.Tensors.Randomness.Rng((ulong)(uint)seed); }

    /// <summary>Wraps an existing generator (its position advances as samples are drawn).</summary>
    public SeededNormalSampler(NativeFree.Tensors.Randomness.Rng rng) { ArgumentNullException.ThrowIfNull(rng); _rng = rng; }

    /// <inheritdoc/>
    public void FillNormal(Span<double> destination) => _rng.FillNormal(destination, 0.0, 1.0);

    /// <summary>Draws a new tensor of N(0, scale²) samples.</summary>
    public Tensor<double> Normal(double scale, params int[] shape)
    {
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        FillNormal(s);
        if (scale != 1) for (int i = 0; i < s.Length; i++) s[i] *= scale;
        return t;
    }
}

/// <summary>Helpers shared by layers.</summary>
internal static class LayerUtil
{
    public static Tensor<double> Normal(INormalSampler sampler, double scale, params int[] shape)
    {
        var t = Tensor.Zeros<double>(shape);
        var s = t.AsSpan();
        sampler.FillNormal(s);
        if (scale != 1) for (int i = 0; i < s.Length; i++) s[i] *= scale;
        return t;
    }

    public static Tensor<double> Map(Tensor<double> x, Func<double, double> f)
    {
        var src = x.IsContiguous ? x : x.Contiguous();
        var y = Tensor.Zeros<double>(src.ShapeArray);
        var a = src.AsSpan(); var b = y.AsSpan();
        for (int i = 0; i < a.Length; i++) b[i] = f(a[i]);
        return y;
    }

    public static FeatureShape CheckInput(string layer, FeatureShape expected, Tensor<double> x)
    {
        var got = FeatureShape.FromBatchShape(x.Shape);
        if (!got.Spatial.SequenceEqual(expected.Spatial) || got.Channels != expected.Channels)
            throw new ArgumentException($"{layer}: input of shape {got} where {expected} was expected.", nameof(x));
        return got;
    }
}
