using System.Numerics;
using System.Runtime.CompilerServices;

namespace NativeFree.Tensors;

/// <summary>
/// An n-dimensional array of <see cref="float"/> or <see cref="double"/> over a shared buffer.
/// A tensor is (storage, offset, shape, strides): views such as <see cref="Reshape"/>,
/// <see cref="Permute"/>, <see cref="Slice"/> or <see cref="Expand(int[])"/> share the storage and
/// write through to it, exactly like NumPy and PyTorch views.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed partial class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _storage;
    private readonly int _offset;
    private readonly int[] _shape;
    private readonly int[] _strides;
    private readonly int _length;
    private readonly bool _contiguous;

    static Tensor()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Tensor<{typeof(T).Name}> is not supported: use float or double.");
    }

    /// <summary>Creates a view over <paramref name="storage"/>. No validation of bounds beyond debug checks: internal use.</summary>
    internal Tensor(T[] storage, int offset, int[] shape, int[] strides)
    {
        _storage = storage;
        _offset = offset;
        _shape = shape;
        _strides = strides;
        _length = ShapeUtil.ElementCount(shape);
        _contiguous = ComputeContiguous(shape, strides);
    }

    /// <summary>Creates a contiguous tensor that owns <paramref name="storage"/> (not copied).</summary>
    internal Tensor(T[] storage, int[] shape)
        : this(storage, 0, shape, ShapeUtil.ContiguousStrides(shape))
    {
        if (storage.Length < _length)
            throw new ArgumentException($"Buffer of length {storage.Length} is too small for shape {ShapeUtil.Format(shape)} ({_length} elements).");
    }

    private static bool ComputeContiguous(int[] shape, int[] strides)
    {
        foreach (int d in shape) if (d == 0) return true; // no elements: any layout is dense
        int expected = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            if (shape[i] == 1) continue; // the stride of a size-1 axis never matters
            if (strides[i] != expected) return false;
            expected *= shape[i];
        }
        return true;
    }

    /// <summary>Sizes of each axis.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Steps, in elements, between neighbours along each axis (0 for broadcast axes).</summary>
    public ReadOnlySpan<int> Strides => _strides;

    /// <summary>A copy of the shape as an array.</summary>
    public int[] ShapeArray => (int[])_shape.Clone();

    /// <summary>Number of axes.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements.</summary>
    public int Length => _length;

    /// <summary>The shared buffer this tensor views. Element <c>i</c> lives at <c>Offset + Σ index·stride</c>.</summary>
    public T[] Storage => _storage;

    /// <summary>Position of the first element in <see cref="Storage"/>.</summary>
    public int Offset => _offset;

    /// <summary>True when the elements are laid out densely in row-major order from <see cref="Offset"/>.</summary>
    public bool IsContiguous => _contiguous;

    /// <summary>Size of axis <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis) => _shape[ShapeUtil.NormalizeAxis(axis, Rank)];

    /// <summary>The elements as a span. Only for contiguous tensors; call <see cref="Contiguous"/> first otherwise.</summary>
    public Span<T> AsSpan()
    {
        if (!_contiguous)
            throw new InvalidOperationException($"AsSpan needs a contiguous tensor; this {ShapeUtil.Format(_shape)} view has strides {ShapeUtil.Format(_strides)}. Call Contiguous() first.");
        return _storage.AsSpan(_offset, _length);
    }

    /// <summary>The elements as <see cref="Memory{T}"/>. Only for contiguous tensors.</summary>
    public Memory<T> AsMemory()
    {
        if (!_contiguous)
            throw new InvalidOperationException($"AsMemory needs a contiguous tensor; this {ShapeUtil.Format(_shape)} view is strided. Call Contiguous() first.");
        return _storage.AsMemory(_offset, _length);
    }

    // ----------------------------------------------------------------- element access

    /// <summary>Storage position of a multi-index, with bounds checks naming the axis.</summary>
    public int OffsetOf(ReadOnlySpan<int> index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"Index of rank {index.Length} used on a tensor of shape {ShapeUtil.Format(_shape)}.", nameof(index));
        int pos = _offset;
        for (int i = 0; i < index.Length; i++)
        {
            int k = index[i] < 0 ? index[i] + _shape[i] : index[i];
            if ((uint)k >= (uint)_shape[i])
                throw new IndexOutOfRangeException($"Index {index[i]} is out of range for axis {i} of size {_shape[i]} (shape {ShapeUtil.Format(_shape)}).");
            pos += k * _strides[i];
        }
        return pos;
    }

    /// <summary>Element at a multi-index (negative indices count from the end).</summary>
    public T this[params int[] index]
    {
        get => _storage[OffsetOf(index)];
        set => _storage[OffsetOf(index)] = value;
    }

    /// <summary>The single element of a one-element tensor.</summary>
    public T ToScalar()
    {
        if (_length != 1)
            throw new InvalidOperationException($"ToScalar() needs a tensor with exactly one element; shape is {ShapeUtil.Format(_shape)}.");
        int pos = _offset;
        return _storage[pos];
    }

    /// <summary>Copies the elements, in row-major order, into a new array.</summary>
    public T[] ToArray()
    {
        var result = new T[_length];
        CopyTo(result);
        return result;
    }

    /// <summary>Copies the elements, in row-major order, into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<T> destination)
    {
        if (destination.Length < _length)
            throw new ArgumentException($"Destination of length {destination.Length} is shorter than the tensor ({_length} elements).", nameof(destination));
        if (_contiguous) { _storage.AsSpan(_offset, _length).CopyTo(destination); return; }
        int k = 0;
        var it = new StridedIndex(_shape, _strides, _offset);
        int inner = Rank == 0 ? 1 : _shape[^1];
        int innerStride = Rank == 0 ? 0 : _strides[^1];
        if (_length == 0) return;
        do
        {
            int p = it.Position;
            for (int j = 0; j < inner; j++, p += innerStride) destination[k++] = _storage[p];
        } while (it.NextRow());
    }

    /// <summary>Writes <paramref name="source"/> (row-major) into this tensor's elements, through the view.</summary>
    public void CopyFrom(ReadOnlySpan<T> source)
    {
        if (source.Length != _length)
            throw new ArgumentException($"Source of length {source.Length} does not match tensor shape {ShapeUtil.Format(_shape)} ({_length} elements).", nameof(source));
        if (_contiguous) { source.CopyTo(_storage.AsSpan(_offset, _length)); return; }
        if (_length == 0) return;
        int k = 0;
        var it = new StridedIndex(_shape, _strides, _offset);
        int inner = Rank == 0 ? 1 : _shape[^1];
        int innerStride = Rank == 0 ? 0 : _strides[^1];
        do
        {
            int p = it.Position;
            for (int j = 0; j < inner; j++, p += innerStride) _storage[p] = source[k++];
        } while (it.NextRow());
    }

    /// <summary>Copies <paramref name="source"/> into this tensor; <paramref name="source"/> is broadcast to this shape.</summary>
    public void CopyFrom(Tensor<T> source)
    {
        var src = ShapeUtil.SameShape(source.Shape, _shape) ? source : source.Expand(_shape);
        if (src.IsContiguous) { CopyFrom(src.AsSpan()); return; }
        CopyFrom(src.ToArray());
    }

    /// <summary>Sets every element (through the view) to <paramref name="value"/>.</summary>
    public void Fill(T value)
    {
        if (_contiguous) { _storage.AsSpan(_offset, _length).Fill(value); return; }
        if (_length == 0) return;
        var it = new StridedIndex(_shape, _strides, _offset);
        int inner = Rank == 0 ? 1 : _shape[^1];
        int innerStride = Rank == 0 ? 0 : _strides[^1];
        do
        {
            int p = it.Position;
            for (int j = 0; j < inner; j++, p += innerStride) _storage[p] = value;
        } while (it.NextRow());
    }

    /// <summary>A contiguous tensor with the same elements: this tensor itself when already contiguous, else a copy.</summary>
    public Tensor<T> Contiguous() => _contiguous ? this : Clone();

    /// <summary>A contiguous copy that shares nothing with this tensor.</summary>
    public Tensor<T> Clone() => new(ToArray(), (int[])_shape.Clone());

    /// <summary>Converts to another element type (float ↔ double), always copying.</summary>
    public Tensor<TTo> Cast<TTo>() where TTo : unmanaged, IFloatingPointIeee754<TTo>
    {
        var src = Contiguous().AsSpan();
        var dst = new TTo[_length];
        // float→double is exact; double→float rounds to nearest (overflow gives ±Inf, like NumPy).
        System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<T, TTo>(src, dst);
        return new Tensor<TTo>(dst, (int[])_shape.Clone());
    }
}
