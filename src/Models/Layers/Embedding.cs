using System.Globalization;
using System.Numerics;
using NativeFree.Autograd;
using NativeFree.Models.Init;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Models.Layers;

/// <summary>
/// torch.nn.Embedding: a table <c>weight</c> [num, dim] drawn N(0, 1); the input holds integer ids stored as floats,
/// per example a scalar (batch [N] → [N, dim]) or a sequence [L] (batch [N, L] → [N, L, dim]).
/// </summary>
public sealed record EmbeddingSpec(int Num, int Dim) : LayerSpec
{
    /// <inheritdoc/>
    public override string Kind => "embedding";

    /// <inheritdoc/>
    public override bool HasWeights => true;

    /// <inheritdoc/>
    public override int[] OutputShape(int[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (Num < 1 || Dim < 1) throw new ArgumentException($"{this}: num and dim must be ≥ 1.");
        if (input.Length > 1 || input.Any(d => d < 1)) throw ShapeError(input, "ids come as one id [] or a sequence [L] per example");
        return [.. input, Dim];
    }

    /// <inheritdoc/>
    public override Module<T> Build<T>(int[] input, Rng rng, LayerRole role) { OutputShape(input); return new Embedding<T>(this, input, rng); }

    /// <inheritdoc/>
    public override string ToSpecText() => string.Create(CultureInfo.InvariantCulture, $"embedding({Num}, {Dim})");
}

/// <summary>The module of <see cref="EmbeddingSpec"/>: <c>weight</c> [num, dim].</summary>
public sealed class Embedding<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly EmbeddingSpec _spec;
    private readonly int[] _input;

    internal Embedding(EmbeddingSpec spec, int[] input, Rng rng)
    {
        Spec = _spec = spec;
        _input = input;
        // A lookup is a linear map from a one-hot vector: fan_in num, fan_out dim (the init ignores them).
        Weight = AddParameter("weight", new Parameter<T>(Tensor.Zeros<T>(spec.Num, spec.Dim), ParameterRole.Embedding, spec.Num, spec.Dim, new Normal(1)));
        ResetParameters(rng);
    }

    /// <summary>The table [num, dim].</summary>
    public Parameter<T> Weight { get; }

    /// <inheritdoc/>
    public override Var<T> Forward(Var<T> x, ForwardContext context)
    {
        LayerSpec.CheckBatch(_spec.ToString(), _input, x.Shape);
        var values = x.Value.Contiguous().AsSpan();
        var ids = new int[values.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            double v = double.CreateTruncating(values[i]);
            if (!(v >= 0 && v < _spec.Num && v == Math.Floor(v)))
                throw new ArgumentException($"{_spec}: element {i} of the input is {v.ToString("R", CultureInfo.InvariantCulture)}, not an integer id in [0, {_spec.Num}).", nameof(x));
            ids[i] = (int)v;
        }
        return Nn.Embedding(Weight.Var, ids).Reshape([.. x.Shape, _spec.Dim]);
    }
}
