using NativeFree.Models.Init;

namespace NativeFree.Models;

/// <summary>Where a weight sits in the network: μP scales input, hidden and output layers differently.</summary>
public enum LayerRole
{
    /// <summary>Decided by the enclosing <see cref="Layers.SequentialSpec"/>: its first weight layer is the input layer, its last the output layer, the rest hidden.</summary>
    Auto,
    /// <summary>Maps the (finite-dimensional) input into the width.</summary>
    Input,
    /// <summary>Width to width.</summary>
    Hidden,
    /// <summary>Maps the width to the (finite-dimensional) output.</summary>
    Output,
}

/// <summary>Which optimizer family μP's learning-rate table is for (Tensor Programs V gives one column each).</summary>
public enum MuPOptimizer
{
    /// <summary>SGD (with or without momentum).</summary>
    Sgd,
    /// <summary>Adam and its relatives (AdamW, RMSprop-like per-coordinate normalised updates).</summary>
    Adam,
}

/// <summary>How one parameter is initialised, scaled in the forward pass and scaled in the learning rate.</summary>
/// <param name="Init">The distribution of the stored value.</param>
/// <param name="Multiplier">The constant the layer multiplies the stored value by in the forward pass.</param>
/// <param name="LearningRateScale">Factor on the optimizer's learning rate.</param>
public readonly record struct ParameterScaling(Initializer Init, double Multiplier, double LearningRateScale);

/// <summary>
/// How a layer's weights are drawn, multiplied and learned, in one place (a layer asks this type and
/// never branches on the parametrization itself):
/// <list type="bullet">
/// <item><see cref="Standard"/>: PyTorch's torch.nn, y = x·Wᵀ + b with Kaiming-uniform W (a = √5) and
/// U(±1/√fan_in) bias, or N(0, σ_w²/fan_in) and N(0, σ_b²) when the spec gives σ_w/σ_b (neural-tangents'
/// 'standard'). Multipliers 1, so PyTorch weights load as stored.</item>
/// <item><see cref="Ntk"/>: neural-tangents' NTK parametrization, W, b ~ N(0, 1) and
/// y = σ_w/√fan_in · x·Wᵀ + σ_b·b, so the NTK has a finite limit as widths grow.</item>
/// <item><see cref="MuP"/>: the maximal-update parametrization of Yang and Hu (Feature Learning in
/// Infinite-Width Neural Networks), in the form of Tensor Programs V, Table 3 (multipliers 1):
/// input weights and the biases of width-sized layers: variance σ²/fan_in (biases: zero by default), SGD rate η·fan_out, Adam rate η;
/// the output layer's bias: SGD and Adam rate η (its fan_out is the output size, finite in width);
/// hidden weights: variance σ²/fan_in, SGD rate η, Adam rate η/fan_in;
/// output weights: variance σ²/fan_in², SGD rate η/fan_in, Adam rate η/fan_in.
/// Fans are taken relative to <see cref="BaseWidth"/> for the rates (and for the output variance's
/// extra 1/fan_in), so at the base width μP equals the standard Gaussian parametrization, as in the
/// mup package's base shapes; with base width 1 the table is used literally.</item>
/// </list>
/// </summary>
public sealed record Parametrization
{
    private Parametrization(string name, MuPOptimizer optimizer = MuPOptimizer.Sgd, int baseWidth = 1)
    {
        Name = name; Optimizer = optimizer; BaseWidth = baseWidth;
    }

    /// <summary>The spec spelling: standard, ntk or mup.</summary>
    public string Name { get; }

    /// <summary>For μP: the optimizer family whose learning-rate column applies.</summary>
    public MuPOptimizer Optimizer { get; }

    /// <summary>For μP: the width at which μP coincides with the standard parametrization.</summary>
    public int BaseWidth { get; }

    /// <summary>PyTorch's parametrization.</summary>
    public static Parametrization Standard { get; } = new("standard");

    /// <summary>neural-tangents' NTK parametrization.</summary>
    public static Parametrization Ntk { get; } = new("ntk");

    /// <summary>μP for the given optimizer family and base width.</summary>
    public static Parametrization MuP(MuPOptimizer optimizer = MuPOptimizer.Sgd, int baseWidth = 1)
        => baseWidth >= 1 ? new("mup", optimizer, baseWidth) : throw new ArgumentException($"μP base width must be ≥ 1; got {baseWidth}.", nameof(baseWidth));

    /// <summary>Parses standard | ntk | mup (μP with SGD rates) | mup-adam.</summary>
    public static Parametrization Parse(string name) => name.ToLowerInvariant() switch
    {
        "standard" or "sp" => Standard,
        "ntk" => Ntk,
        "mup" or "mup-sgd" or "μp" => MuP(MuPOptimizer.Sgd),
        "mup-adam" => MuP(MuPOptimizer.Adam),
        _ => throw new ArgumentException($"Unknown parametrization '{name}': use standard, ntk, mup or mup-adam."),
    };

    /// <summary>True for <see cref="Ntk"/>.</summary>
    public bool IsNtk => Name == "ntk";

    /// <summary>True for μP.</summary>
    public bool IsMuP => Name == "mup";

    /// <summary>
    /// The scaling of a weight with the given fans. <paramref name="wStd"/> is σ_w; null means the layer's
    /// PyTorch default (Kaiming-uniform, a = √5) under <see cref="Standard"/> and σ_w = 1 otherwise.
    /// </summary>
    public ParameterScaling Weight(LayerRole role, int fanIn, int fanOut, double? wStd)
    {
        if (IsNtk) return new(new Normal(1), (wStd ?? 1) / Math.Sqrt(fanIn), 1);
        if (!IsMuP) return new(wStd is { } s ? new NormalFanIn(s) : Kaiming.TorchDefault, 1, 1);
        double sigma = wStd ?? 1, rIn = (double)fanIn / BaseWidth, rOut = (double)fanOut / BaseWidth;
        return role switch
        {
            LayerRole.Input => new(new NormalFanIn(sigma), 1, Optimizer == MuPOptimizer.Sgd ? rOut : 1),
            LayerRole.Output => new(new NormalFanIn(sigma / Math.Sqrt(rIn)), 1, 1 / rIn),
            _ => new(new NormalFanIn(sigma), 1, Optimizer == MuPOptimizer.Sgd ? 1 : 1 / rIn),
        };
    }

    /// <summary>
    /// The scaling of a bias of a layer with the given fans. <paramref name="bStd"/> is σ_b; null means the
    /// PyTorch default U(±1/√fan_in) under <see cref="Standard"/>, and σ_b = 1 (NTK) or 0 (μP, zero biases) otherwise.
    /// </summary>
    public ParameterScaling Bias(LayerRole role, int fanIn, int fanOut, double? bStd)
    {
        if (IsNtk) return new(new Normal(1), bStd ?? 1, 1);
        if (!IsMuP) return new(bStd is { } s ? new Normal(s) : new UniformFanIn(), 1, 1);
        // A bias is an input weight from the constant 1: fan_in 1, fan_out the layer's width, so SGD's rate
        // is η·fan_out. The output layer's fan_out is the finite output size, not a width: its bias rate does
        // not scale (the mup package: a bias of no infinite dimension keeps lr), and μP is standard at the base width.
        double rOut = role == LayerRole.Output ? 1 : (double)fanOut / BaseWidth;
        return new(new Normal(bStd ?? 0), 1, Optimizer == MuPOptimizer.Sgd ? rOut : 1);
    }

    /// <inheritdoc/>
    public override string ToString() => IsMuP ? $"mup({Optimizer.ToString().ToLowerInvariant()}, base={BaseWidth})" : Name;
}
