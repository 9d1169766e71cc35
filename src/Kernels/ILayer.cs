using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Kernels;

/// <summary>
/// The infinite-width kernel transform of one layer: how the NNGP and NTK covariances of its inputs become those of
/// its outputs. The layer itself (its parameters, its finite forward pass) is a Models <see cref="Models.Spec.LayerSpec"/>;
/// <see cref="Spec.KernelLayers.From"/> gives its transform, so one description serves the finite network and its
/// infinite-width limit, as a neural-tangents stax layer does. Shapes here are channels-last (<see cref="FeatureShape"/>).
/// </summary>
public interface ILayer
{
    /// <summary>A short readable name, e.g. <c>dense(512, w_std=1.5)</c>.</summary>
    string Name { get; }

    /// <summary>
    /// The output shape for an input shape, checking everything the kernel transform will rely on
    /// (feature sizes, spatial sizes). Throws <see cref="ArgumentException"/> naming the layer.
    /// </summary>
    FeatureShape OutputShape(FeatureShape input);

    /// <summary>Static analysis used to pick the kernel's storage (see <see cref="LayerAnalysis"/>).</summary>
    void Analyze(LayerAnalysis state);

    /// <summary>The infinite-width kernel transform: updates <paramref name="k"/> (or returns a new kernel).</summary>
    Kernel Transform(Kernel k);
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

