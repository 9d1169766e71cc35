using NativeFree.Models.Layers;
using NativeFree.Tensors;

namespace NativeFree.Kernels.Layers;

/// <summary>Layers applied one after another; init, apply and kernel all compose.</summary>
public sealed class Serial : ILayer
{
    /// <summary>The layers in order.</summary>
    public IReadOnlyList<ILayer> Layers { get; }

    /// <summary>Serial composition of <paramref name="layers"/>.</summary>
    public Serial(params ILayer[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Any(l => l is null)) throw new ArgumentException("Serial: a layer is null.", nameof(layers));
        Layers = layers;
    }

    /// <inheritdoc/>
    public string Name => string.Join(" ", Layers.Select(l => l is Serial or Branches ? $"[{l.Name}]" : l.Name));

    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input)
    {
        foreach (var l in Layers) input = l.OutputShape(input);
        return input;
    }

    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state) { foreach (var l in Layers) l.Analyze(state); }

    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        for (int i = 0; i < Layers.Count; i++)
        {
            k.Cancellation.ThrowIfCancellationRequested();
            if (Layers[i] is ABRelu ab && i + 1 < Layers.Count && Layers[i + 1] is Dense dense && k.Mode == SpatialMode.None)
            {
                k = KernelOps.ReluThenDense(k, ab, dense);
                i++;
                continue;
            }
            k = Layers[i].Transform(k);
        }
        return k;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// FanOut → parallel branches → FanInSum/FanInConcat in one layer: each branch sees the same input.
/// The kernel assumes the branches' outputs are independent given the input (true when each branch
/// other than an identity skip ends in its own Dense/Conv with zero-mean weights), as in neural-tangents.
/// </summary>
public sealed partial class Branches : ILayer
{
    /// <summary>The branches (an <see cref="Identity"/> is a skip connection).</summary>
    public IReadOnlyList<ILayer> Parallel { get; }
    /// <summary>How outputs merge.</summary>
    public FanIn Merge { get; }

    /// <summary>Branches merged by <paramref name="merge"/>.</summary>
    public Branches(FanIn merge, params ILayer[] branches)
    {
        ArgumentNullException.ThrowIfNull(branches);
        if (branches.Length < 1 || branches.Any(b => b is null)) throw new ArgumentException("Branches: need at least one non-null branch.", nameof(branches));
        Parallel = branches; Merge = merge;
    }

    /// <inheritdoc/>
    public string Name => $"{(Merge == FanIn.Sum ? "fan_in_sum" : "fan_in_concat")}({string.Join(" | ", Parallel.Select(b => b.Name))})";

    /// <inheritdoc/>
    public FeatureShape OutputShape(FeatureShape input)
    {
        var outs = Parallel.Select(b => b.OutputShape(input)).ToArray();
        for (int i = 1; i < outs.Length; i++)
        {
            if (!outs[i].Spatial.SequenceEqual(outs[0].Spatial) || (Merge == FanIn.Sum && outs[i].Channels != outs[0].Channels))
                throw new ArgumentException($"{Name}: branch outputs {outs[0]} and {outs[i]} cannot be {(Merge == FanIn.Sum ? "summed" : "concatenated")}.");
        }
        return Merge == FanIn.Sum ? outs[0] : outs[0] with { Channels = outs.Sum(o => o.Channels) };
    }

    /// <inheritdoc/>
    public void Analyze(LayerAnalysis state)
    {
        var merged = state.Copy();
        bool gaussian = true;
        foreach (var b in Parallel) { var s = state.Copy(); b.Analyze(s); merged.Merge(s); gaussian &= s.Gaussian; }
        state.Merge(merged);
        // Concatenated channel groups have different covariances, so an elementwise φ would see a mixture,
        // not one Gaussian: a Dense/Conv must come first (it mixes the groups into one Gaussian again).
        state.Gaussian = gaussian && Merge == FanIn.Sum;
    }

    /// <inheritdoc/>
    public Kernel Transform(Kernel k)
    {
        var outs = new Kernel[Parallel.Count];
        for (int i = 0; i < outs.Length; i++) outs[i] = Parallel[i].Transform(i == outs.Length - 1 ? k : k.Clone());
        var r = outs[0];
        for (int i = 1; i < outs.Length; i++)
            if (outs[i].Mode != r.Mode || !outs[i].Spatial.SequenceEqual(r.Spatial) || outs[i].CovFull != r.CovFull)
                throw new ArgumentException($"{Name}: branch kernels have different spatial layouts.");
        double[] weights = Merge == FanIn.Sum ? outs.Select(_ => 1.0).ToArray()
            : outs.Select(o => (double)o.Channels / outs.Sum(x => x.Channels)).ToArray();
        double[] Combine(Func<Kernel, double[]?> get)
        {
            var acc = new double[get(r)!.Length];
            for (int i = 0; i < outs.Length; i++)
            {
                var a = get(outs[i])!;
                for (int e = 0; e < acc.Length; e++) acc[e] += weights[i] * a[e];
            }
            return acc;
        }
        var result = r.Clone();
        result.Nngp = Combine(o => o.Nngp);
        if (r.Ntk is not null) result.Ntk = Combine(o => o.Ntk);
        result.Cov1 = Combine(o => o.Cov1);
        result.Cov2 = Combine(o => o.Cov2);
        result.IsGaussian = outs.All(o => o.IsGaussian) && Merge == FanIn.Sum;
        result.CovStale = outs.Any(o => o.CovStale);
        result.Channels = Merge == FanIn.Sum ? r.Channels : outs.Sum(o => o.Channels);
        return result;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
