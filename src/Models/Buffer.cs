using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Models;

/// <summary>
/// Persistent module state that is not trained: batch norm's running statistics (a tensor of the
/// module's element type) or its <c>num_batches_tracked</c> counter (an int64 scalar, as PyTorch stores it).
/// Buffers are saved in the state dict next to the parameters.
/// </summary>
public sealed class Buffer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Buffer(Tensor<T>? tensor, bool isCounter) { Tensor = tensor; IsCounter = isCounter; }

    /// <summary>A tensor buffer over <paramref name="value"/> (not copied).</summary>
    public static Buffer<T> Of(Tensor<T> value) { ArgumentNullException.ThrowIfNull(value); return new(value, false); }

    /// <summary>An int64 scalar counter starting at <paramref name="value"/>.</summary>
    public static Buffer<T> Counter(long value = 0) => new(null, true) { Count = value };

    /// <summary>True for an int64 counter (then <see cref="Tensor"/> is null and <see cref="Count"/> holds the value).</summary>
    public bool IsCounter { get; }

    /// <summary>The tensor (null for a counter). Updated in place.</summary>
    public Tensor<T>? Tensor { get; }

    /// <summary>The counter's value (0 for tensor buffers).</summary>
    public long Count { get; set; }

    /// <summary>The shape as stored: the tensor's, or [] for a counter.</summary>
    public int[] Shape => Tensor?.ShapeArray ?? [];

    /// <summary>The key of this buffer in its module's state dict.</summary>
    public string Key { get; internal set; } = "";
}
