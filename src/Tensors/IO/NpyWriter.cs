using System.Numerics;
using System.Runtime.InteropServices;

namespace NativeFree.Tensors.IO;

/// <summary>
/// Streams one .npy array to disk: the header for a known shape first, then the elements in
/// C order, a chunk or a block of rows at a time. Use it for arrays larger than memory, e.g. a
/// kernel matrix computed tile by tile: compute row block r, <see cref="WriteRows"/> it, repeat.
/// The total element count may exceed int.MaxValue. Call <see cref="Complete"/> at the end: it
/// checks that exactly the declared number of elements was written.
/// </summary>
/// <typeparam name="T">float (written as &lt;f4) or double (&lt;f8).</typeparam>
public sealed class NpyWriter<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly int[] _shape;
    private readonly long _rowLength;
    private byte[] _buffer = [];
    private bool _disposed;

    /// <summary>Creates (or overwrites) <paramref name="path"/> and writes the header for <paramref name="shape"/>.</summary>
    public NpyWriter(string path, params int[] shape)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16), shape, leaveOpen: false) { }

    /// <summary>Writes the header for <paramref name="shape"/> at the stream's position.</summary>
    public NpyWriter(Stream stream, int[] shape, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(shape);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _shape = (int[])shape.Clone();
        long total = 1, row = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0) throw new ArgumentException($"Shape {ShapeUtil.Format(shape)} has a negative size at axis {i}.", nameof(shape));
            total = checked(total * shape[i]);
            if (i > 0) row *= shape[i];
        }
        TotalElements = total;
        _rowLength = shape.Length == 0 ? 1 : row;
        var header = NpyHeader.Build(Npy.DescrOf<T>(), shape);
        _stream.Write(header);
    }

    /// <summary>The declared shape.</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Elements the declared shape holds.</summary>
    public long TotalElements { get; }

    /// <summary>Elements written so far.</summary>
    public long ElementsWritten { get; private set; }

    /// <summary>Whole rows (slices along axis 0) written so far.</summary>
    public long RowsWritten => _rowLength == 0 ? 0 : ElementsWritten / _rowLength;

    /// <summary>Appends the next elements in C order.</summary>
    public void Write(ReadOnlySpan<T> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (values.Length > TotalElements - ElementsWritten)
            throw new ArgumentException($"Writing {values.Length} more elements would exceed shape {ShapeUtil.Format(_shape)} ({TotalElements} elements, {ElementsWritten} already written).", nameof(values));
        const int chunk = 1 << 15;
        int size = Marshal.SizeOf<T>();
        if (_buffer.Length == 0 && values.Length > 0) _buffer = new byte[Math.Min(values.Length, chunk) * size];
        for (int i = 0; i < values.Length; i += chunk)
        {
            int n = Math.Min(chunk, values.Length - i);
            if (_buffer.Length < n * size) _buffer = new byte[n * size];
            ElementCodec.EncodeLittleEndian(values.Slice(i, n), _buffer);
            _stream.Write(_buffer, 0, n * size);
        }
        ElementsWritten += values.Length;
    }

    /// <summary>
    /// Appends a block of whole rows: <paramref name="rows"/> has shape <c>[r, shape[1], …]</c>
    /// (or <c>[r]</c> for a 1-D array). Any strided view is accepted.
    /// </summary>
    public void WriteRows(Tensor<T> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (_shape.Length == 0 || rows.Rank != _shape.Length || !rows.Shape[1..].SequenceEqual(_shape.AsSpan(1)))
            throw new ArgumentException($"Row block of shape {ShapeUtil.Format(rows.Shape)} does not fit an array of shape {ShapeUtil.Format(_shape)} (expected [r, {string.Join(", ", _shape.Skip(1))}]).", nameof(rows));
        if (rows.Length > 0) Write(rows.Contiguous().AsSpan());
    }

    /// <summary>Flushes and checks that every declared element was written.</summary>
    public void Complete()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ElementsWritten != TotalElements)
            throw new InvalidOperationException($"Only {ElementsWritten} of the {TotalElements} elements of shape {ShapeUtil.Format(_shape)} were written.");
        _stream.Flush();
    }

    /// <summary>Closes the stream (unless leaveOpen). Does not throw for an incomplete array: call <see cref="Complete"/> for that check.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_leaveOpen) _stream.Dispose();
        else _stream.Flush();
    }
}
