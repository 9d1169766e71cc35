namespace NativeFree.Tensors;

/// <summary>
/// Walks the rows (all axes but the last) of a strided tensor in row-major order, keeping the
/// storage position of the current row's first element. Inner loops then run over the last
/// axis with its stride, which is where all the time goes.
/// </summary>
internal ref struct StridedIndex
{
    private readonly ReadOnlySpan<int> _shape;
    private readonly ReadOnlySpan<int> _strides;
    private readonly Span<int> _index;
    private int _position;

    public StridedIndex(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, int offset)
    {
        _shape = shape;
        _strides = strides;
        _index = new int[Math.Max(shape.Length, 1)];
        _position = offset;
    }

    /// <summary>Storage position of the current row's first element.</summary>
    public readonly int Position => _position;

    /// <summary>Advances to the next row; false after the last one.</summary>
    public bool NextRow()
    {
        for (int axis = _shape.Length - 2; axis >= 0; axis--)
        {
            if (++_index[axis] < _shape[axis])
            {
                _position += _strides[axis];
                return true;
            }
            _position -= (_shape[axis] - 1) * _strides[axis];
            _index[axis] = 0;
        }
        return false;
    }
}
