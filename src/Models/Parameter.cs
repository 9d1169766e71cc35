using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Init;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models;

/// <summary>What a parameter is for; optimizers use it for rules such as "no weight decay on biases and norms".</summary>
public enum ParameterRole
{
    /// <summary>A weight matrix or filter bank (decayed by default).</summary>
    Weight,
    /// <summary>An additive bias.</summary>
    Bias,
    /// <summary>A normalisation layer's scale (γ).</summary>
    Gain,
    /// <summary>A normalisation layer's shift (β).</summary>
    Shift,
    /// <summary>An embedding table.</summary>
    Embedding,
    /// <summary>Anything else (a learnable scalar such as GIN's ε).</summary>
    Other,
}

/// <summary>
/// A trainable tensor of a module: a persistent leaf <see cref="Var{T}"/> plus what the rest of the
/// system needs to treat it correctly without knowing the layer — its <see cref="Role"/>, fan-in and
/// fan-out (for initialisation and μP), the initializer that <see cref="Reset"/> draws from, the
/// forward multiplier the layer applies (NTK and μP scale weights in the forward pass; a folded
/// checkpoint stores value × multiplier) and the learning-rate scale an optimizer multiplies its
/// rate by (μP's per-layer rates are data here, so no optimizer knows about μP).
/// </summary>
public sealed class Parameter<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A parameter over <paramref name="value"/> (not copied).</summary>
    public Parameter(Tensor<T> value, ParameterRole role, int fanIn, int fanOut, Initializer init,
        double multiplier = 1, double learningRateScale = 1)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(init);
        if (!double.IsFinite(multiplier)) throw new ArgumentException($"Parameter multiplier must be finite; got {multiplier}.", nameof(multiplier));
        if (!(learningRateScale >= 0) || !double.IsFinite(learningRateScale))
            throw new ArgumentException($"Learning-rate scale must be finite and ≥ 0; got {learningRateScale}.", nameof(learningRateScale));
        Var = Var<T>.Parameter(value);
        Role = role; FanIn = fanIn; FanOut = fanOut; Init = init;
        Multiplier = multiplier; LearningRateScale = learningRateScale;
    }

    /// <summary>The leaf var the forward pass reads; its <see cref="Var{T}.Grad"/> holds the gradient after backward.</summary>
    public Var<T> Var { get; }

    /// <summary>The current value (updated in place by optimizers and by loading a state dict).</summary>
    public Tensor<T> Value => Var.Value;

    /// <summary>The accumulated gradient, or null before any backward pass.</summary>
    public Tensor<T>? Grad => Var.Grad?.Value;

    /// <summary>What the parameter is for.</summary>
    public ParameterRole Role { get; }

    /// <summary>Inputs feeding one output unit (PyTorch's fan_in: in_features, or C/groups·kh·kw for a filter).</summary>
    public int FanIn { get; }

    /// <summary>Outputs one input unit feeds (PyTorch's fan_out: out_features, or O·kh·kw for a filter).</summary>
    public int FanOut { get; }

    /// <summary>The distribution <see cref="Reset"/> draws from.</summary>
    public Initializer Init { get; }

    /// <summary>The constant the layer multiplies this parameter by in the forward pass (1 for PyTorch's standard layers).</summary>
    public double Multiplier { get; }

    /// <summary>Factor an optimizer applies to its learning rate for this parameter (1 unless μP sets it).</summary>
    public double LearningRateScale { get; }

    /// <summary>The key of this parameter in its module's state dict (set when the module tree registers it).</summary>
    public string Key { get; internal set; } = "";

    /// <summary>Number of elements.</summary>
    public int Length => Value.Length;

    /// <summary>Redraws the value from <see cref="Init"/> with <paramref name="rng"/> (in place).</summary>
    public void Reset(Rng rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        Init.Fill(Value, FanIn, FanOut, rng);
    }

    /// <summary>Forgets the gradient, keeping its buffer for the next backward pass (a training loop's <c>zero_grad</c>).</summary>
    public void ZeroGrad() => Var.ZeroGrad(reuseBuffer: true);

    /// <inheritdoc/>
    public override string ToString() => $"{(Key.Length > 0 ? Key : "parameter")} {ShapeUtil.Format(Value.Shape)} {Role}";
}
