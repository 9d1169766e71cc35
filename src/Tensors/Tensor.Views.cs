using System.Numerics;

namespace NativeFree.Tensors;

// Views: new (offset, shape, strides) over the same storage. None of these copy, except
// Reshape of a non-contiguous tensor whose axes cannot be merged (as in PyTorch).
public sealed partial class Tensor<T>
{
    /// <summary>
    /// The same elements with a new shape. One size may be -1 (inferred). Returns a view when
    /// the layout allows it (always for contiguous tensors), otherwise a contiguous copy.
    /// </summary>
    public Tensor<T> Reshape(params int[] shape)
    {
        var newShape = InferShape(shape);
        if (_contiguous) return new Tensor<T>(_storage, _offset, newShape, ShapeUtil.ContiguousStrides(newShape));
        var strides = TryViewStrides(newShape);
        return strides is null ? Clone().Reshape(newShape) : new Tensor<T>(_storage, _offset, newShape, strides);
    }

    /// <summary>Like <see cref="Reshape"/> but never copies: throws when the strides do not allow a view.</summary>
    public Tensor<T> View(params int[] shape)
    {
        var newShape = InferShape(shape);
        var strides = _contiguous ? ShapeUtil.ContiguousStrides(newShape) : TryViewStrides(newShape);
        if (strides is null)
            throw new InvalidOperationException($"Cannot view shape {ShapeUtil.Format(_shape)} with strides {ShapeUtil.Format(_strides)} as {ShapeUtil.Format(newShape)} without copying; use Reshape.");
        return new Tensor<T>(_storage, _offset, newShape, strides);
    }

    private int[] InferShape(int[] shape)
    {
        var result = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (infer >= 0) throw new ArgumentException($"Reshape to {ShapeUtil.Format(shape)}: only one size may be -1.", nameof(shape));
                infer = i;
            }
            else if (result[i] < 0)
                throw new ArgumentException($"Reshape to {ShapeUtil.Format(shape)}: negative size {result[i]} at axis {i}.", nameof(shape));
            else known *= result[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || _length % known != 0)
                throw new ArgumentException($"Cannot reshape {ShapeUtil.Format(_shape)} ({_length} elements) to {ShapeUtil.Format(shape)}.", nameof(shape));
            result[infer] = (int)(_length / known);
        }
        else if (known != _length)
            throw new ArgumentException($"Cannot reshape {ShapeUtil.Format(_shape)} ({_length} elements) to {ShapeUtil.Format(shape)} ({known} elements).", nameof(shape));
        return result;
    }

    // PyTorch's "computeStride": split/merge runs of axes that are contiguous among themselves.
    private int[]? TryViewStrides(int[] newShape)
    {
        var newStrides = new int[newShape.Length];
        if (_length == 0) return ShapeUtil.ContiguousStrides(newShape);
        int viewD = newShape.Length - 1;
        long chunkBase = _strides.Length == 0 ? 1 : _strides[^1];
        long tensorElems = 1, viewElems = 1;
        for (int d = _shape.Length - 1; d >= 0; d--)
        {
            tensorElems *= _shape[d];
            if (d == 0 || (_shape[d - 1] != 1 && _strides[d - 1] != tensorElems * chunkBase))
            {
                while (viewD >= 0 && (viewElems < tensorElems || newShape[viewD] == 1))
                {
                    newStrides[viewD] = (int)(viewElems * chunkBase);
                    viewElems *= newShape[viewD];
                    viewD--;
                }
                if (viewElems != tensorElems) return null;
                if (d > 0)
                {
                    chunkBase = _strides[d - 1];
                    tensorElems = 1;
                    viewElems = 1;
                }
            }
        }
        if (viewD != -1)
        {
            // Remaining leading size-1 axes.
            while (viewD >= 0) { newStrides[viewD] = 1; viewD--; }
        }
        return newStrides;
    }

    /// <summary>Reorders the axes: result axis i is this tensor's axis <c>order[i]</c>.</summary>
    public Tensor<T> Permute(params int[] order)
    {
        if (order.Length != Rank)
            throw new ArgumentException($"Permute order {ShapeUtil.Format(order)} must name each of the {Rank} axes of shape {ShapeUtil.Format(_shape)} once.", nameof(order));
        var seen = new bool[Rank];
        var shape = new int[Rank];
        var strides = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int a = ShapeUtil.NormalizeAxis(order[i], Rank, nameof(order));
            if (seen[a]) throw new ArgumentException($"Permute order {ShapeUtil.Format(order)} repeats axis {order[i]}.", nameof(order));
            seen[a] = true;
            shape[i] = _shape[a];
            strides[i] = _strides[a];
        }
        return new Tensor<T>(_storage, _offset, shape, strides);
    }

    /// <summary>Swaps two axes (a view).</summary>
    public Tensor<T> Transpose(int axis0, int axis1)
    {
        var order = new int[Rank];
        for (int i = 0; i < Rank; i++) order[i] = i;
        int a = ShapeUtil.NormalizeAxis(axis0, Rank, nameof(axis0)), b = ShapeUtil.NormalizeAxis(axis1, Rank, nameof(axis1));
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(order);
    }

    /// <summary>The matrix transpose (PyTorch's <c>.mT</c>): swaps the last two axes (a view). Needs rank ≥ 2.</summary>
    public Tensor<T> Mt
    {
        get
        {
            if (Rank < 2) throw new InvalidOperationException($"Mt needs rank ≥ 2; shape is {ShapeUtil.Format(_shape)}.");
            return Transpose(-2, -1);
        }
    }

    /// <summary>
    /// Elements <c>start, start+step, …</c> (stopping before <paramref name="stop"/>) along
    /// <paramref name="axis"/>, Python-style: negative start/stop count from the end and are
    /// clamped; a negative step walks backwards. A view.
    /// </summary>
    public Tensor<T> Slice(int axis, int start, int stop, int step = 1)
    {
        int ax = ShapeUtil.NormalizeAxis(axis, Rank);
        if (step == 0) throw new ArgumentException("Slice step cannot be zero.", nameof(step));
        int n = _shape[ax];
        int count;
        if (step > 0)
        {
            start = start < 0 ? Math.Max(start + n, 0) : Math.Min(start, n);
            stop = stop < 0 ? Math.Max(stop + n, 0) : Math.Min(stop, n);
            count = stop > start ? (stop - start + step - 1) / step : 0;
        }
        else
        {
            start = start < 0 ? Math.Max(start + n, -1) : Math.Min(start, n - 1);
            stop = stop < 0 ? Math.Max(stop + n, -1) : Math.Min(stop, n - 1);
            count = start > stop ? (start - stop - step - 1) / -step : 0;
        }
        var shape = (int[])_shape.Clone();
        var strides = (int[])_strides.Clone();
        shape[ax] = count;
        strides[ax] = _strides[ax] * step;
        int offset = count == 0 ? _offset : _offset + start * _strides[ax];
        return new Tensor<T>(_storage, offset, shape, strides);
    }

    /// <summary>The sub-tensor at <paramref name="index"/> along <paramref name="axis"/>, with that axis removed (a view).</summary>
    public Tensor<T> Select(int axis, int index)
    {
        int ax = ShapeUtil.NormalizeAxis(axis, Rank);
        int k = index < 0 ? index + _shape[ax] : index;
        if ((uint)k >= (uint)_shape[ax])
            throw new IndexOutOfRangeException($"Index {index} is out of range for axis {ax} of size {_shape[ax]} (shape {ShapeUtil.Format(_shape)}).");
        var shape = new int[Rank - 1];
        var strides = new int[Rank - 1];
        for (int i = 0, j = 0; i < Rank; i++)
        {
            if (i == ax) continue;
            shape[j] = _shape[i];
            strides[j++] = _strides[i];
        }
        return new Tensor<T>(_storage, _offset + k * _strides[ax], shape, strides);
    }

    /// <summary>
    /// Broadcasts to <paramref name="shape"/> (NumPy rules: new leading axes, size-1 axes
    /// repeated) with stride 0, without copying. Writing through an expanded view writes the
    /// same element many times.
    /// </summary>
    public Tensor<T> Expand(params int[] shape) => Expand((ReadOnlySpan<int>)shape);

    /// <inheritdoc cref="Expand(int[])"/>
    public Tensor<T> Expand(ReadOnlySpan<int> shape)
    {
        if (shape.Length < Rank)
            throw new ArgumentException($"Cannot expand shape {ShapeUtil.Format(_shape)} to the lower-rank shape {ShapeUtil.Format(shape)}.", nameof(shape));
        ShapeUtil.ElementCount(shape, nameof(shape));
        int lead = shape.Length - Rank;
        var strides = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (i < lead) { strides[i] = 0; continue; }
            int d = _shape[i - lead];
            if (d == shape[i]) strides[i] = _strides[i - lead];
            else if (d == 1) strides[i] = 0;
            else
                throw new ArgumentException($"Cannot expand shape {ShapeUtil.Format(_shape)} to {ShapeUtil.Format(shape)} (axis {i}: {d} vs {shape[i]}).", nameof(shape));
        }
        return new Tensor<T>(_storage, _offset, shape.ToArray(), strides);
    }

    /// <summary>Same as <see cref="Expand(int[])"/>, the NumPy name.</summary>
    public Tensor<T> BroadcastTo(params int[] shape) => Expand(shape);

    /// <summary>Inserts a size-1 axis at <paramref name="axis"/> (in the result's numbering; -1 appends). A view.</summary>
    public Tensor<T> Unsqueeze(int axis)
    {
        int ax = ShapeUtil.NormalizeAxis(axis, Rank + 1);
        var shape = new int[Rank + 1];
        var strides = new int[Rank + 1];
        for (int i = 0, j = 0; i < Rank + 1; i++)
        {
            if (i == ax)
            {
                shape[i] = 1;
                strides[i] = j < Rank ? _strides[j] * _shape[j] : 1;
                continue;
            }
            shape[i] = _shape[j];
            strides[i] = _strides[j++];
        }
        return new Tensor<T>(_storage, _offset, shape, strides);
    }

    /// <summary>Removes size-1 axes: all of them, or only <paramref name="axes"/> (which must have size 1). A view.</summary>
    public Tensor<T> Squeeze(params int[] axes)
    {
        bool[] drop;
        if (axes.Length == 0)
        {
            drop = new bool[Rank];
            for (int i = 0; i < Rank; i++) drop[i] = _shape[i] == 1;
        }
        else
        {
            drop = ShapeUtil.AxisMask(axes, Rank, emptyMeansAll: false);
            for (int i = 0; i < Rank; i++)
                if (drop[i] && _shape[i] != 1)
                    throw new ArgumentException($"Cannot squeeze axis {i} of size {_shape[i]} (shape {ShapeUtil.Format(_shape)}).", nameof(axes));
        }
        var shape = new List<int>();
        var strides = new List<int>();
        for (int i = 0; i < Rank; i++)
        {
            if (drop[i]) continue;
            shape.Add(_shape[i]);
            strides.Add(_strides[i]);
        }
        return new Tensor<T>(_storage, _offset, shape.ToArray(), strides.ToArray());
    }

    /// <summary>Merges all axes into one (a view when possible).</summary>
    public Tensor<T> Flatten() => Reshape(_length);
}
