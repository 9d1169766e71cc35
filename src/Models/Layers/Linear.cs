using System.Globalization;
using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// A fully connected layer on the last axis, torch.nn.Linear's y = m_w·x·Wᵀ + m_b·b with W [out, in] and
/// b [out]. The multipliers m come from the <see cref="Parametrization"/> (1 for standard, so PyTorch
/// weights load as stored; σ_w/√fan_in and σ_b for NTK).
/// </summary>
/// <param name="OutFeatures">Output features (the width).</param>
/// <param name="Bias">Whether there is a bias.</param>
public sealed record LinearSpec(int OutFeatures, bool Bias = true) : LayerSpec
{
    /// <summary>How weights are drawn and scaled (PyTorch's standard by default).</summary>
    public Parametrization Parametrization { get; init; } = Parametrization.Standard;

    /// <summary>σ_w; null for the parametrization's default (Kaiming-uniform under standard, 1 otherwise).</summary>
    public double? WStd { get; init; }

    /// <summary>σ_b; null for the parametrization's default (U(±1/√fan_in) under standard, 1 for NTK, 0 for μP).</summary>
    public double? BStd { get; init; }

    /// <summary>The μP role; <see cref="LayerRole.Auto"/> lets the enclosing network decide.</summary>
    public LayerRole Role { get; init; } = LayerRole.Auto;

    /// <summary>The SPEC spelling: <c>linear</c> (PyTorch's defaults) or <c>dense</c> (neural-tangents' defaults).</summary>
    public string Spelling { get; init; } = "linear";

    /// <inheritdoc/>
    public override string Kind => Spelling;

    /// <inheritdoc/>
    public override bool HasWeights => true;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        if (OutFeatures < 1) throw new ArgumentException($"{this}: the width must be ≥ 1.");
        var shape = CheckInput(input, 1, 3);
        shape[^1] = OutFeatures;
        return shape;
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role)
    {
        OutputShape(input);
        return new Linear<T>(this, input[^1], Role == LayerRole.Auto ? role : Role, rng);
    }

    /// <inheritdoc/>
    public override string ToSpecText()
    {
        var args = new List<string> { OutFeatures.ToString(CultureInfo.InvariantCulture) };
        bool dense = Spelling == "dense";
        if (!Bias) args.Add(dense ? "b_std=none" : "bias=false");
        if (WStd is { } w) args.Add("w_std=" + w.ToString("R", CultureInfo.InvariantCulture));
        if (Bias && BStd is { } b) args.Add("b_std=" + b.ToString("R", CultureInfo.InvariantCulture));
        if (Parametrization != (dense ? Parametrization.Ntk : Parametrization.Standard)) args.Add("parametrization=" + Parametrization.Name + (Parametrization.IsMuP && Parametrization.Optimizer == MuPOptimizer.Adam ? "-adam" : ""));
        if (Role != LayerRole.Auto) args.Add("role=" + Role.ToString().ToLowerInvariant());
        return $"{Spelling}({string.Join(", ", args)})";
    }
}

/// <summary>The module of <see cref="LinearSpec"/>: parameters <c>weight</c> [out, in] and <c>bias</c> [out].</summary>
public sealed class Linear<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T _wMul, _bMul;

    internal Linear(LinearSpec spec, int inFeatures, LayerRole role, Rng rng)
    {
        Spec = spec;
        InFeatures = inFeatures;
        OutFeatures = spec.OutFeatures;
        var pw = spec.Parametrization.Weight(role, inFeatures, spec.OutFeatures, spec.WStd);
        Weight = AddParameter("weight", new Parameter<T>(Tensor.Zeros<T>(spec.OutFeatures, inFeatures), ParameterRole.Weight,
            inFeatures, spec.OutFeatures, pw.Init, pw.Multiplier, pw.LearningRateScale));
        _wMul = T.CreateTruncating(pw.Multiplier);
        if (spec.Bias)
        {
            var pb = spec.Parametrization.Bias(role, inFeatures, spec.OutFeatures, spec.BStd);
            Bias = AddParameter("bias", new Parameter<T>(Tensor.Zeros<T>(spec.OutFeatures), ParameterRole.Bias,
                inFeatures, spec.OutFeatures, pb.Init, pb.Multiplier, pb.LearningRateScale));
            _bMul = T.CreateTruncating(pb.Multiplier);
        }
        Role = role;
        ResetParameters(rng);
    }

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>The μP role this layer was built with.</summary>
    public LayerRole Role { get; }

    /// <summary>W [out, in].</summary>
    public Parameter<T> Weight { get; }

    /// <summary>b [out], or null without a bias.</summary>
    public Parameter<T>? Bias { get; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        if (x.Rank < 2 || x.Shape[^1] != InFeatures)
            throw new ArgumentException($"{Spec}: input of shape {ShapeUtil.Format(x.Shape)} where [N, …, {InFeatures}] was expected.", nameof(x));
        bool flat = x.Rank == 2;
        var x2 = flat ? x : x.Reshape(x.Value.Length / InFeatures, InFeatures);
        var y = Var<T>.MatMulT(x2, Weight.Var);               // one node; the weight gradient comes out contiguous [out, in]
        if (_wMul != T.One) y *= _wMul;
        if (Bias is not null) y = _bMul == T.One ? y + Bias.Var : y + Bias.Var * _bMul;
        if (flat) return y;
        int[] shape = x.Value.ShapeArray; shape[^1] = OutFeatures;
        return y.Reshape(shape);
    }
}
