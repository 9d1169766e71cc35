using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// A convolution over [C, L] (<see cref="Conv1dSpec"/>) or [C, H, W] (<see cref="Conv2dSpec"/>), torch.nn.Conv1d/Conv2d:
/// cross-correlation with weight [O, C/groups, k…] and bias [O], y = m_w·conv(x, W) + m_b·b with the multipliers of
/// the <see cref="Parametrization"/> (fan_in = C/groups·∏k, fan_out = O·∏k, torch's rule). Sizes are per spatial axis.
/// </summary>
public abstract record ConvSpec : LayerSpec
{
    private readonly int[] _kernel, _stride, _padding, _dilation;

    /// <summary>A convolution with <paramref name="outChannels"/> filters of size <paramref name="kernel"/> (one entry per spatial axis).</summary>
    protected ConvSpec(int outChannels, IReadOnlyList<int> kernel)
    {
        OutChannels = outChannels;
        _kernel = Sizes.Copy(kernel, nameof(kernel));
        _stride = Sizes.Repeat(1, _kernel.Length);
        _padding = Sizes.Repeat(0, _kernel.Length);
        _dilation = Sizes.Repeat(1, _kernel.Length);
    }

    /// <summary>Output channels (the width).</summary>
    public int OutChannels { get; init; }

    /// <summary>Number of spatial axes (1 or 2).</summary>
    public int SpatialRank => _kernel.Length;

    /// <summary>Kernel size per spatial axis.</summary>
    public IReadOnlyList<int> Kernel { get => _kernel; init => _kernel = Sizes.Copy(value, nameof(Kernel)); }

    /// <summary>Stride per spatial axis (1 by default).</summary>
    public IReadOnlyList<int> Stride { get => _stride; init => _stride = Sizes.Copy(value, nameof(Stride)); }

    /// <summary>Zero padding on both sides of each spatial axis (ignored when <see cref="Same"/>); <see cref="PaddingFor"/> gives the effective per-side padding.</summary>
    public IReadOnlyList<int> Padding { get => _padding; init => _padding = Sizes.Copy(value, nameof(Padding)); }

    /// <summary>
    /// 'same' padding. With stride 1 it is PyTorch's: total d·(k−1) per axis, ⌊total/2⌋ before and the rest
    /// after (the extra on the right/bottom). With stride &gt; 1 (only the neural-tangents spelling <c>conv</c>
    /// allows it, as torch refuses) it is XLA's SAME: output ⌈L/s⌉, total max((out−1)·s + d·(k−1) + 1 − L, 0).
    /// </summary>
    public bool Same { get; init; }

    /// <summary>Dilation per spatial axis (1 by default).</summary>
    public IReadOnlyList<int> Dilation { get => _dilation; init => _dilation = Sizes.Copy(value, nameof(Dilation)); }

    /// <summary>Groups: input and output channels are split into this many independent blocks.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Whether there is a bias.</summary>
    public bool Bias { get; init; } = true;

    /// <summary>σ_w; null for the parametrization's default (Kaiming-uniform under standard, 1 otherwise).</summary>
    public double? WStd { get; init; }

    /// <summary>σ_b; null for the parametrization's default (U(±1/√fan_in) under standard, 1 for NTK, 0 for μP).</summary>
    public double? BStd { get; init; }

    /// <summary>How weights are drawn and scaled (PyTorch's standard by default).</summary>
    public Parametrization Parametrization { get; init; } = Parametrization.Standard;

    /// <summary>The μP role; <see cref="LayerRole.Auto"/> lets the enclosing network decide.</summary>
    public LayerRole Role { get; init; } = LayerRole.Auto;

    /// <summary>The SPEC spelling: <c>conv1d</c>/<c>conv2d</c> (PyTorch's defaults) or <c>conv</c> (neural-tangents' 2-D defaults).</summary>
    public string Spelling { get; init; } = "";

    /// <inheritdoc/>
    public override string Kind => Spelling.Length > 0 ? Spelling : $"conv{SpatialRank}d";

    /// <inheritdoc/>
    public override bool HasWeights => true;

    /// <summary>Elements of one filter per input channel (∏ kernel).</summary>
    public int KernelVolume => _kernel.Aggregate(1, (a, b) => checked(a * b));

    /// <summary>The zero padding (before, after) of each spatial axis for a per-example input shape [C, …].</summary>
    public (int Before, int After)[] PaddingFor(int[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var pads = new (int, int)[SpatialRank];
        for (int a = 0; a < SpatialRank; a++)
        {
            if (!Same) { pads[a] = (_padding[a], _padding[a]); continue; }
            int reach = _dilation[a] * (_kernel[a] - 1), len = input[a + 1];
            int total = _stride[a] == 1 ? reach : Math.Max(((len + _stride[a] - 1) / _stride[a] - 1) * _stride[a] + reach + 1 - len, 0);
            pads[a] = (total / 2, total - total / 2);
        }
        return pads;
    }

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        if (OutChannels < 1) throw new ArgumentException($"{this}: the number of output channels must be ≥ 1.");
        if (SpatialRank is < 1 or > 2 || _stride.Length != SpatialRank || _padding.Length != SpatialRank || _dilation.Length != SpatialRank)
            throw new ArgumentException($"{this}: kernel, stride, padding and dilation need one size per spatial axis (1 or 2 axes).");
        if (_kernel.Any(k => k < 1) || _stride.Any(s => s < 1) || _dilation.Any(d => d < 1) || _padding.Any(p => p < 0))
            throw new ArgumentException($"{this}: kernel, stride and dilation must be ≥ 1 and padding ≥ 0.");
        if (Same && Spelling != "conv" && _stride.Any(s => s != 1))
            throw new ArgumentException($"{this}: padding=same needs stride 1 (as PyTorch's; the neural-tangents spelling conv allows strided SAME).");
        var shape = CheckInput(input, SpatialRank + 1, SpatialRank + 1);
        if (Groups < 1 || shape[0] % Groups != 0 || OutChannels % Groups != 0)
            throw ShapeError(input, $"groups={Groups} must divide both the {shape[0]} input channels and the {OutChannels} output channels");
        var pads = PaddingFor(input);
        var output = new int[shape.Length];
        output[0] = OutChannels;
        for (int a = 0; a < SpatialRank; a++)
        {
            int span = _dilation[a] * (_kernel[a] - 1) + 1, padded = shape[a + 1] + pads[a].Before + pads[a].After;
            output[a + 1] = padded >= span ? (padded - span) / _stride[a] + 1 : 0;
        }
        if (output.Any(d => d < 1))
            throw ShapeError(input, $"the {(Dilation.Any(d => d > 1) ? "dilated " : "")}kernel {Sizes.Text(_kernel)} is larger than the padded input, the output would be {Format(output)}");
        return output;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role)
    {
        OutputShape(input);
        return new Conv<T>(this, input, Role == LayerRole.Auto ? role : Role, rng);
    }

    /// <inheritdoc/>
    public override string ToSpecText()
    {
        bool nt = Spelling == "conv";
        var args = new List<string> { OutChannels.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (!nt || _kernel.Any(k => k != 3)) args.Add(nt ? "filter=" + Sizes.Text(_kernel) : Sizes.Text(_kernel));
        if (_stride.Any(s => s != 1)) args.Add("stride=" + Sizes.Text(_stride));
        if (Same != nt || (!Same && _padding.Any(p => p != 0))) args.Add("padding=" + (Same ? "same" : Sizes.Text(_padding)));
        if (_dilation.Any(d => d != 1)) args.Add("dilation=" + Sizes.Text(_dilation));
        if (Groups != 1) args.Add("groups=" + Groups.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!Bias) args.Add(nt ? "b_std=none" : "bias=false");
        if (WStd is { } w) args.Add("w_std=" + Sizes.Num(w));
        if (Bias && BStd is { } b) args.Add("b_std=" + Sizes.Num(b));
        if (Parametrization != (nt ? Parametrization.Ntk : Parametrization.Standard)) args.Add("parametrization=" + Parametrization.Name + (Parametrization.IsMuP && Parametrization.Optimizer == MuPOptimizer.Adam ? "-adam" : ""));
        if (Role != LayerRole.Auto) args.Add("role=" + Role.ToString().ToLowerInvariant());
        if (nt && SpatialRank == 1) args.Add("dims=1");
        return $"{Kind}({string.Join(", ", args)})";
    }

    /// <inheritdoc/>
    public virtual bool Equals(ConvSpec? other)
        => base.Equals(other) && OutChannels == other.OutChannels && Sizes.Equal(_kernel, other._kernel) && Sizes.Equal(_stride, other._stride)
           && Sizes.Equal(_padding, other._padding) && Same == other.Same && Sizes.Equal(_dilation, other._dilation) && Groups == other.Groups
           && Bias == other.Bias && WStd == other.WStd && BStd == other.BStd && Parametrization == other.Parametrization && Role == other.Role
           && Spelling == other.Spelling;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(OutChannels, Sizes.Hash(_kernel), Sizes.Hash(_stride), Sizes.Hash(_padding), Same, Groups, Bias, Spelling);
}

/// <summary>torch.nn.Conv1d over [C, L]: weight [O, C/groups, k], bias [O].</summary>
public sealed record Conv1dSpec : ConvSpec
{
    /// <summary>A 1-d convolution with <paramref name="outChannels"/> filters of length <paramref name="kernel"/>.</summary>
    public Conv1dSpec(int outChannels, int kernel) : base(outChannels, [kernel]) { }
}

/// <summary>torch.nn.Conv2d over [C, H, W]: weight [O, C/groups, kh, kw], bias [O]; also neural-tangents' Conv (<see cref="ConvSpec.Spelling"/> "conv").</summary>
public sealed record Conv2dSpec : ConvSpec
{
    /// <summary>A 2-d convolution with <paramref name="outChannels"/> filters of size kh × kw.</summary>
    public Conv2dSpec(int outChannels, int kernelH, int kernelW) : base(outChannels, [kernelH, kernelW]) { }

    /// <summary>A 2-d convolution with square <paramref name="kernel"/> × <paramref name="kernel"/> filters.</summary>
    public Conv2dSpec(int outChannels, int kernel) : this(outChannels, kernel, kernel) { }
}

/// <summary>The module of a <see cref="ConvSpec"/>: parameters <c>weight</c> [O, C/groups, k…] and <c>bias</c> [O].</summary>
public sealed class Conv<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ConvSpec _spec;
    private readonly int[] _input;
    private readonly (int Before, int After)[] _pads;
    private readonly T _wMul, _bMul;

    internal Conv(ConvSpec spec, int[] input, LayerRole role, Rng rng)
    {
        Spec = _spec = spec;
        _input = (int[])input.Clone();
        _pads = spec.PaddingFor(input);
        int c = input[0], o = spec.OutChannels, k = spec.KernelVolume;
        int fanIn = c / spec.Groups * k, fanOut = o * k;
        var wShape = new[] { o, c / spec.Groups }.Concat(spec.Kernel).ToArray();
        var pw = spec.Parametrization.Weight(role, fanIn, fanOut, spec.WStd);
        Weight = AddParameter("weight", new Parameter<T>(Tensor.Zeros<T>(wShape), ParameterRole.Weight, fanIn, fanOut, pw.Init, pw.Multiplier, pw.LearningRateScale));
        _wMul = T.CreateTruncating(pw.Multiplier);
        if (spec.Bias)
        {
            var pb = spec.Parametrization.Bias(role, fanIn, fanOut, spec.BStd);
            Bias = AddParameter("bias", new Parameter<T>(Tensor.Zeros<T>(o), ParameterRole.Bias, fanIn, fanOut, pb.Init, pb.Multiplier, pb.LearningRateScale));
            _bMul = T.CreateTruncating(pb.Multiplier);
        }
        Role = role;
        ResetParameters(rng);
    }

    /// <summary>The μP role this layer was built with.</summary>
    public LayerRole Role { get; }

    /// <summary>W [O, C/groups, k…].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>b [O], or null without a bias.</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch(_spec.ToString(), _input, x.Shape);
        bool oneD = _spec.SpatialRank == 1;
        // A 1-d convolution is a 2-d one of height 1 (the functional Conv1d does the same).
        var x4 = oneD ? x.Unsqueeze(2) : x;
        var w4 = oneD ? Weight.Var.Unsqueeze(2) : Weight.Var;
        (int Before, int After) ph = oneD ? (0, 0) : _pads[0], pw = _pads[^1];
        int padH = ph.Before, padW = pw.Before;
        if (ph.Before != ph.After || pw.Before != pw.After)
        {
            // The functional convolution pads symmetrically; 'same' with an even reach needs one more on the right/bottom.
            x4 = x4.Pad([0, 0, ph.Before, pw.Before], [0, 0, ph.After, pw.After]);
            padH = padW = 0;
        }
        var (sh, sw) = oneD ? (1, _spec.Stride[0]) : (_spec.Stride[0], _spec.Stride[1]);
        var (dh, dw) = oneD ? (1, _spec.Dilation[0]) : (_spec.Dilation[0], _spec.Dilation[1]);
        bool plain = _wMul == T.One && (Bias is null || _bMul == T.One);
        var y = NnLayers.Conv2d(x4, w4, plain ? Bias?.Var : null, sh, sw, padH, padW, dh, dw, _spec.Groups);
        if (!plain)
        {
            if (_wMul != T.One) y *= _wMul;
            if (Bias is not null) y += (_bMul == T.One ? Bias.Var : Bias.Var * _bMul).Reshape(_spec.OutChannels, 1, 1);
        }
        return oneD ? y.Squeeze(2) : y;
    }
}
