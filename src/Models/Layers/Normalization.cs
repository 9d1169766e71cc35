using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Init;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// Batch norm, torch.nn.BatchNorm1d for [C] or [C, L] and BatchNorm2d for [C, H, W] (the input decides). Training:
/// batch statistics over every axis but the channel (biased variance to normalise), running statistics updated
/// with <see cref="Momentum"/> and the unbiased variance, <c>num_batches_tracked</c> incremented. Evaluation: the
/// running statistics. <see cref="Momentum"/> null is torch's momentum=None, the cumulative average 1/num_batches_tracked.
/// </summary>
public sealed record BatchNormSpec(double Eps = 1e-5, double? Momentum = 0.1, bool Affine = true, bool TrackRunningStats = true) : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => "batch_norm";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        if (!(Eps > 0)) throw new ArgumentException($"{this}: eps must be > 0.");
        if (Momentum is { } m && !(m >= 0 && m <= 1)) throw new ArgumentException($"{this}: momentum must be in [0, 1].");
        return CheckInput(input, 1, 3);
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) => new BatchNorm<T>(this, OutputShape(input));

    /// <inheritdoc/>
    public override string ToSpecText()
    {
        var args = new List<string>();
        if (Eps != 1e-5) args.Add("eps=" + Sizes.Num(Eps));
        if (Momentum != 0.1) args.Add("momentum=" + (Momentum is { } m ? Sizes.Num(m) : "none"));
        if (!Affine) args.Add("affine=false");
        if (!TrackRunningStats) args.Add("track_running_stats=false");
        return args.Count == 0 ? Kind : $"{Kind}({string.Join(", ", args)})";
    }
}

/// <summary>The module of <see cref="BatchNormSpec"/>: <c>weight</c>, <c>bias</c> [C]; buffers <c>running_mean</c>, <c>running_var</c> [C], <c>num_batches_tracked</c> (int64).</summary>
public sealed class BatchNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BatchNormSpec _spec;
    private readonly int[] _input;

    internal BatchNorm(BatchNormSpec spec, int[] input)
    {
        Spec = _spec = spec;
        _input = input;
        int c = input[0];
        if (spec.Affine)
        {
            Weight = AddParameter("weight", new Parameter<T>(Tensor.Ones<T>(c), ParameterRole.Gain, 1, c, Initializer.Ones));
            Bias = AddParameter("bias", new Parameter<T>(Tensor.Zeros<T>(c), ParameterRole.Shift, 1, c, Initializer.Zeros));
        }
        if (spec.TrackRunningStats)
        {
            RunningMean = AddBuffer("running_mean", Buffer<T>.Of(Tensor.Zeros<T>(c)));
            RunningVar = AddBuffer("running_var", Buffer<T>.Of(Tensor.Ones<T>(c)));
            NumBatchesTracked = AddBuffer("num_batches_tracked", Buffer<T>.Counter());
        }
    }

    /// <summary>γ [C] (null without affine).</summary>
    public Parameter<T>? Weight { get; }

    /// <summary>β [C] (null without affine).</summary>
    public Parameter<T>? Bias { get; }

    /// <summary>The running mean [C] (null without running statistics).</summary>
    public Buffer<T>? RunningMean { get; }

    /// <summary>The running (unbiased) variance [C] (null without running statistics).</summary>
    public Buffer<T>? RunningVar { get; }

    /// <summary>Training batches seen (null without running statistics).</summary>
    public Buffer<T>? NumBatchesTracked { get; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch(_spec.ToString(), _input, x.Shape);
        bool track = _spec.TrackRunningStats;
        if (!context.Training && track)
            return NnLayers.BatchNorm(x, RunningMean!.Tensor, RunningVar!.Tensor, Weight?.Var, Bias?.Var, training: false, eps: _spec.Eps);
        if (context.Training && x.Value.Length / _input[0] < 2)
            throw new ArgumentException($"{_spec}: batch statistics need more than 1 value per channel; got a batch of shape {ShapeUtil.Format(x.Shape)}.");
        double momentum = 0;
        if (context.Training && track)
        {
            NumBatchesTracked!.Count++;
            momentum = _spec.Momentum ?? 1.0 / NumBatchesTracked.Count;
        }
        // Without running statistics, evaluation also normalises by the batch (torch's track_running_stats=False).
        bool update = context.Training && track;
        return NnLayers.BatchNorm(x, update ? RunningMean!.Tensor : null, update ? RunningVar!.Tensor : null, Weight?.Var, Bias?.Var,
            training: true, momentum: momentum, eps: _spec.Eps);
    }

    /// <inheritdoc/>
    protected override void ResetBuffers()
    {
        RunningMean?.Tensor!.Fill(T.Zero);
        RunningVar?.Tensor!.Fill(T.One);
        if (NumBatchesTracked is not null) NumBatchesTracked.Count = 0;
    }
}

/// <summary>
/// Layer norm per example. By default over every per-example axis (neural-tangents' LayerNorm on flat inputs; torch's
/// nn.LayerNorm(input_shape)), weight and bias of the whole per-example shape; with <see cref="LastAxisOnly"/>
/// (<c>axes=last</c>) over the last axis only (torch's nn.LayerNorm(d) on [L, d] tokens), weight and bias [d].
/// </summary>
public sealed record LayerNormSpec(double Eps = 1e-5, bool ElementwiseAffine = true, bool LastAxisOnly = false) : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => "layer_norm";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
        => Eps > 0 ? CheckInput(input, 1, 3) : throw new ArgumentException($"{this}: eps must be > 0.");

    /// <summary>The normalised shape (the axes statistics are taken over) for a per-example input shape.</summary>
    public int[] NormalizedShape(int[] input) => LastAxisOnly ? [input[^1]] : (int[])input.Clone();

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) => new LayerNorm<T>(this, OutputShape(input));

    /// <inheritdoc/>
    public override string ToSpecText()
    {
        var args = new List<string>();
        if (Eps != 1e-5) args.Add("eps=" + Sizes.Num(Eps));
        if (!ElementwiseAffine) args.Add("elementwise_affine=false");
        if (LastAxisOnly) args.Add("axes=last");
        return args.Count == 0 ? Kind : $"{Kind}({string.Join(", ", args)})";
    }
}

/// <summary>The module of <see cref="LayerNormSpec"/>: <c>weight</c> (ones) and <c>bias</c> (zeros) of the normalised shape.</summary>
public sealed class LayerNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly LayerNormSpec _spec;
    private readonly int[] _input, _normalized;

    internal LayerNorm(LayerNormSpec spec, int[] input)
    {
        Spec = _spec = spec;
        _input = input;
        _normalized = spec.NormalizedShape(input);
        int size = _normalized.Aggregate(1, (a, b) => a * b);
        if (spec.ElementwiseAffine)
        {
            Weight = AddParameter("weight", new Parameter<T>(Tensor.Ones<T>(_normalized), ParameterRole.Gain, 1, size, Initializer.Ones));
            Bias = AddParameter("bias", new Parameter<T>(Tensor.Zeros<T>(_normalized), ParameterRole.Shift, 1, size, Initializer.Zeros));
        }
    }

    /// <summary>γ (null without affine).</summary>
    public Parameter<T>? Weight { get; }

    /// <summary>β (null without affine).</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch(_spec.ToString(), _input, x.Shape);
        return NnLayers.LayerNorm(x, _normalized.Length, Weight?.Var, Bias?.Var, _spec.Eps);
    }
}

/// <summary>torch.nn.GroupNorm: per example, the channels split into <see cref="Groups"/> groups, each normalised over its channels and positions; weight, bias [C].</summary>
public sealed record GroupNormSpec(int Groups, double Eps = 1e-5, bool Affine = true) : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => "group_norm";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        if (!(Eps > 0) || Groups < 1) throw new ArgumentException($"{this}: groups must be ≥ 1 and eps > 0.");
        var shape = CheckInput(input, 1, 3);
        if (shape[0] % Groups != 0) throw ShapeError(input, $"{Groups} groups do not divide {shape[0]} channels");
        return shape;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) => new GroupNorm<T>(this, OutputShape(input));

    /// <inheritdoc/>
    public override string ToSpecText()
    {
        var args = new List<string> { Groups.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (Eps != 1e-5) args.Add("eps=" + Sizes.Num(Eps));
        if (!Affine) args.Add("affine=false");
        return $"{Kind}({string.Join(", ", args)})";
    }
}

/// <summary>The module of <see cref="GroupNormSpec"/>: <c>weight</c> (ones) and <c>bias</c> (zeros) [C].</summary>
public sealed class GroupNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly GroupNormSpec _spec;
    private readonly int[] _input, _channelShape;

    internal GroupNorm(GroupNormSpec spec, int[] input)
    {
        Spec = _spec = spec;
        _input = input;
        int c = input[0];
        _channelShape = [c, .. Enumerable.Repeat(1, input.Length - 1)];
        if (spec.Affine)
        {
            Weight = AddParameter("weight", new Parameter<T>(Tensor.Ones<T>(c), ParameterRole.Gain, 1, c, Initializer.Ones));
            Bias = AddParameter("bias", new Parameter<T>(Tensor.Zeros<T>(c), ParameterRole.Shift, 1, c, Initializer.Zeros));
        }
    }

    /// <summary>γ [C] (null without affine).</summary>
    public Parameter<T>? Weight { get; }

    /// <summary>β [C] (null without affine).</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch(_spec.ToString(), _input, x.Shape);
        int n = x.Shape[0], g = _spec.Groups;
        // Channels of a group are contiguous in C order, so [N, G, rest] puts each group on the last axis.
        var y = NnLayers.LayerNorm(x.Reshape(n, g, x.Value.Length / (n * g)), 1, eps: _spec.Eps).Reshape(x.Value.ShapeArray);
        if (Weight is not null) y *= Weight.Var.Reshape(_channelShape);
        return Bias is null ? y : y + Bias.Var.Reshape(_channelShape);
    }
}
