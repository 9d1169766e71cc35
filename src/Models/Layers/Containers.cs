using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// Layers applied one after another, torch.nn.Sequential: child <c>i</c> is the i-th layer (activations
/// counted), so keys read <c>0.weight</c>, <c>2.bias</c>, <c>3.running_mean</c> as PyTorch's would.
/// </summary>
public sealed record SequentialSpec(IReadOnlyList<LayerSpec> Layers) : LayerSpec
{
    /// <summary>The layers in order.</summary>
    public SequentialSpec(params LayerSpec[] layers) : this((IReadOnlyList<LayerSpec>)layers) { }

    /// <inheritdoc/>
    public override string Kind => "sequential";

    /// <inheritdoc/>
    public override bool HasWeights => Layers.Any(l => l.HasWeights);

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        var shape = input;
        foreach (var l in Layers) shape = l.OutputShape(shape);
        return (int[])shape.Clone();
    }

    /// <summary>The per-example shape after each layer (index i: the output of layer i), validating the whole network.</summary>
    public IReadOnlyList<int[]> Shapes(int[] input)
    {
        var shapes = new List<int[]>();
        var shape = input;
        foreach (var l in Layers) shapes.Add(shape = l.OutputShape(shape));
        return shapes;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role)
    {
        OutputShape(input);
        // μP roles at the top level: the first layer with weights reads the input, the last writes the output.
        int first = -1, last = -1;
        for (int i = 0; i < Layers.Count; i++) if (Layers[i].HasWeights) { if (first < 0) first = i; last = i; }
        var modules = new Module<T>[Layers.Count];
        var shape = input;
        for (int i = 0; i < Layers.Count; i++)
        {
            var r = role != LayerRole.Auto ? role
                : i == first ? LayerRole.Input : i == last ? LayerRole.Output : LayerRole.Hidden;
            modules[i] = Layers[i].Build<T>(shape, rng, r);
            shape = Layers[i].OutputShape(shape);
        }
        return new Sequential<T>(this, modules);
    }

    /// <summary>The SPEC text: the layers separated by spaces.</summary>
    public override string ToSpecText() => string.Join(" ", Layers);

    /// <inheritdoc/>
    public bool Equals(SequentialSpec? other) => other is not null && Layers.SequenceEqual(other.Layers);

    /// <inheritdoc/>
    public override int GetHashCode() => Layers.Aggregate(17, (h, l) => h * 31 + l.GetHashCode());
}

/// <summary>The module of <see cref="SequentialSpec"/>.</summary>
public sealed class Sequential<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Module<T>[] _layers;

    /// <summary>A sequential module over <paramref name="layers"/>, named 0, 1, … .</summary>
    public Sequential(params Module<T>[] layers) : this(null, layers) { }

    internal Sequential(SequentialSpec? spec, Module<T>[] layers)
    {
        Spec = spec;
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) AddChild(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Module<T>> Layers => _layers;

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        foreach (var l in _layers) x = l.Forward(x, context);
        return x;
    }
}

/// <summary>How parallel branches are joined.</summary>
public enum FanIn
{
    /// <summary>Element-wise sum (shapes must match).</summary>
    Sum,
    /// <summary>Concatenation along the channel (feature) axis, the first per-example axis.</summary>
    Concat,
}

/// <summary>
/// Parallel branches over the same input, joined by <see cref="Join"/> (neural-tangents' FanOut + FanInSum/FanInConcat).
/// Child <c>i</c> is branch i, a sequential: keys read <c>3.0.1.weight</c> (layer 1 of branch 0 of layer 3).
/// </summary>
public sealed record ParallelSpec(FanIn Join, IReadOnlyList<SequentialSpec> Branches) : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => Join == FanIn.Sum ? "fan_in_sum" : "fan_in_concat";

    /// <inheritdoc/>
    public override bool HasWeights => Branches.Any(b => b.HasWeights);

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        if (Branches.Count == 0) throw new ArgumentException($"{Kind}: no branches.");
        var outs = Branches.Select(b => b.OutputShape(input)).ToArray();
        for (int i = 1; i < outs.Length; i++)
        {
            bool fits = Join == FanIn.Sum ? outs[i].SequenceEqual(outs[0])
                : outs[i].Length == outs[0].Length && outs[i].AsSpan(1).SequenceEqual(outs[0].AsSpan(1));
            if (!fits) throw new ArgumentException($"{this}: branch 0 gives {Format(outs[0])} but branch {i} gives {Format(outs[i])}; {(Join == FanIn.Sum ? "a sum needs equal shapes" : "a concatenation needs equal shapes but for the channel axis")}.");
        }
        var result = (int[])outs[0].Clone();
        if (Join == FanIn.Concat) result[0] = outs.Sum(o => o[0]);
        return result;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role)
    {
        OutputShape(input);
        var r = role == LayerRole.Auto ? LayerRole.Hidden : role;
        return new Parallel<T>(this, Branches.Select(b => (Sequential<T>)b.Build<T>(input, rng, r)).ToArray());
    }

    /// <inheritdoc/>
    public override string ToSpecText() => $"{Kind}({string.Join(" | ", Branches.Select(b => b.Layers.Count == 0 ? "identity" : b.ToString()))})";

    /// <inheritdoc/>
    public bool Equals(ParallelSpec? other) => other is not null && Join == other.Join && Branches.SequenceEqual(other.Branches);

    /// <inheritdoc/>
    public override int GetHashCode() => Branches.Aggregate((int)Join, (h, l) => h * 31 + l.GetHashCode());
}

/// <summary>The module of <see cref="ParallelSpec"/>.</summary>
public sealed class Parallel<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T>[] _branches;
    private readonly FanIn _join;

    internal Parallel(ParallelSpec spec, Sequential<T>[] branches)
    {
        Spec = spec; _join = spec.Join; _branches = branches;
        for (int i = 0; i < branches.Length; i++) AddChild(i.ToString(System.Globalization.CultureInfo.InvariantCulture), branches[i]);
    }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        var outs = new Var<T>[_branches.Length];
        for (int i = 0; i < outs.Length; i++) outs[i] = _branches[i].Forward(x, context);
        if (_join == FanIn.Concat) return Var<T>.Concat(outs, 1);
        var y = outs[0];
        for (int i = 1; i < outs.Length; i++) y += outs[i];
        return y;
    }
}

/// <summary>
/// x + f(x) for a branch f (a sequential): child layers are numbered as the branch's own, so PyTorch's
/// <c>class Residual(nn.Sequential): forward = x + super().forward(x)</c> has the same keys (<c>2.0.weight</c>).
/// </summary>
public sealed record ResidualSpec(SequentialSpec Body) : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => "residual";

    /// <inheritdoc/>
    public override bool HasWeights => Body.HasWeights;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        var o = Body.OutputShape(input);
        if (!o.SequenceEqual(input)) throw new ArgumentException($"{this}: the branch maps {Format(input)} to {Format(o)}; a residual needs the same shape back.");
        return o;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role)
    {
        OutputShape(input);
        var seq = (Sequential<T>)Body.Build<T>(input, rng, role == LayerRole.Auto ? LayerRole.Hidden : role);
        return new Residual<T>(this, seq.Layers.ToArray());
    }

    /// <inheritdoc/>
    public override string ToSpecText() => $"residual({Body})";
}

/// <summary>The module of <see cref="ResidualSpec"/>.</summary>
public sealed class Residual<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Module<T>[] _layers;

    internal Residual(ResidualSpec spec, Module<T>[] layers)
    {
        Spec = spec; _layers = layers;
        for (int i = 0; i < layers.Length; i++) AddChild(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        var y = x;
        foreach (var l in _layers) y = l.Forward(y, context);
        return x + y;
    }
}

/// <summary>Flattens every axis but the batch axis (torch.nn.Flatten), [N, C, H, W] → [N, C·H·W] in C order.</summary>
public sealed record FlattenSpec : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => "flatten";
    /// <inheritdoc/>
    public override int[] OutputShape(int[] input) { var s = CheckInput(input, 1, 3); return [s.Aggregate(1, (a, b) => checked(a * b))]; }
    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) => new Flatten<T>(this, CheckInput(input, 1, 3));
    /// <inheritdoc/>
    public override string ToSpecText() => Kind;
}

/// <summary>The module of <see cref="FlattenSpec"/>.</summary>
public sealed class Flatten<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int[] _input;
    internal Flatten(FlattenSpec spec, int[] input) { Spec = spec; _input = input; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch("flatten", _input, x.Shape);
        return x.Rank == 2 ? x : x.Reshape(x.Shape[0], x.Value.Length / x.Shape[0]);
    }
}
