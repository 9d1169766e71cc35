using NativeFree.Tensors.Randomness;

namespace NativeFree.Models;

/// <summary>
/// What a forward pass needs besides its input: whether the network is training (dropout active,
/// batch norm on batch statistics and updating its running ones) and the generator stochastic
/// layers draw from. Passed explicitly to every <see cref="Module{T}.Forward(NativeFree.Autograd.Var{T}, ForwardContext)"/>
/// instead of being module state, so one module can run an evaluation and a training pass at once.
/// </summary>
public sealed class ForwardContext
{
    private ForwardContext(bool training, Rng? rng) { Training = training; Rng = rng; }

    /// <summary>Evaluation mode: deterministic, no state updated.</summary>
    public static ForwardContext Eval { get; } = new(false, null);

    /// <summary>Training mode; dropout masks come from <paramref name="rng"/> (advanced as they are drawn).</summary>
    public static ForwardContext Train(Rng rng) { ArgumentNullException.ThrowIfNull(rng); return new(true, rng); }

    /// <summary>Training mode without randomness: fine for networks with no dropout (a stochastic layer then throws).</summary>
    public static ForwardContext TrainDeterministic { get; } = new(true, null);

    /// <summary>True in training mode.</summary>
    public bool Training { get; }

    /// <summary>Randomness for stochastic layers; null when none was given.</summary>
    public Rng? Rng { get; }

    /// <summary>The generator, or an error naming the layer that needed one.</summary>
    public Rng RequireRng(string layer) => Rng ?? throw new InvalidOperationException(
        $"{layer} draws random masks in training mode: pass ForwardContext.Train(rng) with a generator.");
}
