using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// Inverted dropout, torch.nn.Dropout: in training each element is zeroed with probability <see cref="P"/> and the
/// rest scaled by 1/(1 − p); identity in evaluation. The mask is drawn from the forward context's seeded generator
/// (never System.Random), so a seed reproduces the masks. <see cref="Keep"/> records neural-tangents' spelling
/// <c>dropout(keep=…)</c>, where p = 1 − keep.
/// </summary>
public sealed record DropoutSpec : LayerSpec
{
    /// <summary>Dropout with drop probability <paramref name="p"/> in [0, 1].</summary>
    public DropoutSpec(double p) { P = p; }

    /// <summary>Dropout with neural-tangents' keep probability: p = 1 − <paramref name="keep"/>.</summary>
    public static DropoutSpec FromKeep(double keep) => new(1 - keep) { Keep = keep };

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <summary>The keep probability when the spec was written with it (only changes the SPEC text).</summary>
    public double? Keep { get; private init; }

    /// <inheritdoc/>
    public override string Kind => "dropout";

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
        => P is >= 0 and <= 1 ? CheckInput(input, 1, 3) : throw new ArgumentException($"{this}: the drop probability must be in [0, 1].");

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) { OutputShape(input); return new Dropout<T>(this); }

    /// <inheritdoc/>
    public override string ToSpecText() => Keep is { } k ? $"dropout(keep={Sizes.Num(k)})" : $"dropout({Sizes.Num(P)})";
}

/// <summary>The module of <see cref="DropoutSpec"/> (no parameters).</summary>
public sealed class Dropout<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly DropoutSpec _spec;
    internal Dropout(DropoutSpec spec) { Spec = _spec = spec; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        if (!context.Training || _spec.P == 0) return x;
        var rng = context.RequireRng(_spec.ToString());
        var mask = new T[x.Value.Length];
        if (_spec.P < 1)
        {
            rng.FillBernoulli<T>(mask, 1 - _spec.P);          // 1 = kept
            T scale = T.CreateTruncating(1 / (1 - _spec.P));
            for (int i = 0; i < mask.Length; i++) mask[i] *= scale;
        }
        return x * Var<T>.Constant(Tensor.FromArray(mask, x.Value.ShapeArray));
    }
}
