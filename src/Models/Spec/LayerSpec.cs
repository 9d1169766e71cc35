using System.Numerics;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Spec;

/// <summary>
/// The immutable description of one layer: what it computes and how it is initialised, but no state.
/// A spec validates and computes the shape it produces (<see cref="OutputShape"/>), builds a trainable
/// <see cref="Module{T}"/> in float or double (<see cref="Build{T}(int[], Rng)"/>), prints as SPEC text
/// (<see cref="ToString"/>), and is what the infinite-width kernels read, so an infinitely wide network is
/// never allocated. Shapes here are per example, without the batch axis: [features] for dense inputs,
/// [C, L] or [C, H, W] (PyTorch's NCHW) for signals and images.
/// </summary>
public abstract record LayerSpec
{
    /// <summary>The layer's SPEC name, e.g. <c>linear</c>.</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// The per-example output shape for a per-example input shape. Throws <see cref="ArgumentException"/>
    /// naming the layer and both shapes when the layer does not fit its input.
    /// </summary>
    public abstract int[] OutputShape(int[] input);

    /// <summary>Builds the module for inputs of per-example shape <paramref name="input"/>, drawing its parameters from <paramref name="rng"/>.</summary>
    public Module<T> Build<T>(int[] input, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
        => Build<T>(input, rng, LayerRole.Auto);

    /// <summary>
    /// Builds the module; <paramref name="role"/> is where the enclosing network puts this layer (μP scales
    /// input, hidden and output weights differently). Parameters are drawn in state-dict key order, so
    /// building equals building with any values and then <see cref="Module{T}.ResetParameters"/> with the same generator.
    /// </summary>
    public abstract Module<T> Build<T>(int[] input, Rng rng, LayerRole role) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>True for layers with weight matrices or filters (the ones μP assigns a role to).</summary>
    public virtual bool HasWeights => false;

    /// <summary>The SPEC text of this layer (parsing it gives an equal spec).</summary>
    public sealed override string ToString() => ToSpecText();

    /// <summary>The SPEC text of this layer; <see cref="ToString"/> returns it.</summary>
    public abstract string ToSpecText();

    /// <summary>An error naming this layer, its input shape and what is wrong.</summary>
    protected ArgumentException ShapeError(int[] input, string problem)
        => new($"{this}: input of shape {Format(input)} does not fit: {problem}.", nameof(input));

    /// <summary>Formats a per-example shape as [a, b, c].</summary>
    public static string Format(int[] shape) => ShapeUtil.Format(shape);

    /// <summary>A copy of the shape with a check that every axis is positive.</summary>
    protected int[] CheckInput(int[] input, int minRank = 1, int maxRank = 3)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length < minRank || input.Length > maxRank)
            throw ShapeError(input, $"expected {minRank}{(maxRank != minRank ? "–" + maxRank : "")} axes per example");
        foreach (int d in input) if (d < 1) throw ShapeError(input, "every axis must be ≥ 1");
        return (int[])input.Clone();
    }

    /// <summary>Checks that a batch fits the per-example input shape a module was built for.</summary>
    internal static void CheckBatch(string layer, int[] expected, ReadOnlySpan<int> batch)
    {
        if (batch.Length != expected.Length + 1 || !batch[1..].SequenceEqual(expected))
            throw new ArgumentException($"{layer}: batch of shape {ShapeUtil.Format(batch)} where [N, {string.Join(", ", expected)}] was expected.");
    }
}
