namespace NativeFree.Kernels;

/// <summary>
/// The shape of one input or activation, without the batch axis: spatial sizes then channels,
/// channels last (NHWC) like neural-tangents. A dense input of d features is (<c>[]</c>, d).
/// </summary>
/// <param name="Spatial">Spatial sizes: empty, [L] or [H, W].</param>
/// <param name="Channels">Number of channels (features).</param>
public sealed record FeatureShape(int[] Spatial, int Channels)
{
    /// <summary>Number of spatial positions (1 without spatial axes).</summary>
    public int Positions => Spatial.Aggregate(1, (a, b) => a * b);

    /// <summary>Elements per input: positions × channels.</summary>
    public int Size => Positions * Channels;

    /// <summary>Shape of a batch of <paramref name="n"/> such inputs.</summary>
    public int[] BatchShape(int n) => [n, .. Spatial, Channels];

    /// <summary>The shape of a batch tensor without its leading batch axis.</summary>
    public static FeatureShape FromBatchShape(ReadOnlySpan<int> shape)
    {
        if (shape.Length < 2 || shape.Length > 4)
            throw new ArgumentException($"Inputs must have shape [N, d], [N, L, C] or [N, H, W, C]; got [{string.Join(", ", shape.ToArray())}].", nameof(shape));
        return new FeatureShape(shape[1..^1].ToArray(), shape[^1]);
    }

    /// <inheritdoc/>
    public override string ToString() => $"[{string.Join(", ", Spatial.Append(Channels))}]";
}
