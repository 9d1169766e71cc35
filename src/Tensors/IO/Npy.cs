using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace NativeFree.Tensors.IO;

/// <summary>
/// NumPy's <c>.npy</c> format (versions 1.0, 2.0, 3.0). Reads float32, float64, int32 and int64 in
/// either byte order and in C or Fortran order (Fortran data is reordered to C); integers are
/// converted to the requested float type. Writes little-endian C-order float32/float64 files
/// byte-identical to <c>np.save</c>. Malformed files throw <see cref="InvalidDataException"/>
/// naming the byte offset; declared sizes are checked against the bytes present before anything
/// is allocated.
/// </summary>
public static class Npy
{
    /// <summary>Largest header we accept (NumPy itself refuses headers above 10 000 bytes by default).</summary>
    public const int MaxHeaderBytes = 1 << 20;

    // ----------------------------------------------------------------- read

    /// <summary>Reads a whole .npy file; trailing bytes after the data are an error.</summary>
    public static Tensor<T> Read<T>(string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var fs = File.OpenRead(path);
        var t = Read<T>(fs);
        if (fs.Position != fs.Length)
            throw new InvalidDataException($"{path}: {fs.Length - fs.Position} unexpected bytes after the array data at byte {fs.Position} (shape does not match the data length).");
        return t;
    }

    /// <summary>
    /// Reads one array from the current position of <paramref name="stream"/>, consuming exactly its
    /// bytes (several arrays saved one after another can be read in turn).
    /// </summary>
    public static Tensor<T> Read<T>(Stream stream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        long start = stream.CanSeek ? stream.Position : 0;
        var h = ReadHeader(stream, start);
        var raw = ToRaw(h.Dtype);
        var data = ElementCodec.ReadElements<T>(stream, h.ElementCount, raw, h.BigEndian, start + h.DataOffset, ".npy", $"array {h.Descr} {ShapeUtil.Format(h.ShapeSpan)}");
        var shape = h.Shape;
        if (!h.FortranOrder || shape.Length < 2) return Tensor.FromArray(data, shape);
        // Column-major data is the C-order array of the reversed shape, transposed back.
        var reversed = shape.Reverse().ToArray();
        var order = Enumerable.Range(0, shape.Length).Reverse().ToArray();
        return Tensor.FromArray(data, reversed).Permute(order).Clone();
    }

    /// <summary>
    /// Reads rows <c>[startRow, startRow + rowCount)</c> (slices along axis 0) of a C-order .npy file
    /// without reading the rest: the counterpart of <see cref="NpyWriter{T}"/> for arrays too large
    /// to load whole. The result has shape <c>[rowCount, shape[1], …]</c>.
    /// </summary>
    public static Tensor<T> ReadRows<T>(string path, long startRow, int rowCount) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var fs = File.OpenRead(path);
        var h = ReadHeader(fs, 0);
        var shape = h.Shape;
        if (shape.Length == 0) throw new ArgumentException($"{path} holds a 0-d array; it has no rows.", nameof(startRow));
        if (h.FortranOrder) throw new NotSupportedException($"{path} is in Fortran order; ReadRows needs C order (rows contiguous on disk).");
        if (startRow < 0 || rowCount < 0 || startRow + rowCount > shape[0])
            throw new ArgumentOutOfRangeException(nameof(startRow), $"Rows [{startRow}, {startRow + rowCount}) are outside the {shape[0]} rows of {path} (shape {ShapeUtil.Format(shape)}).");
        long rowLen = 1;
        for (int i = 1; i < shape.Length; i++) rowLen *= shape[i];
        long expectedEnd = h.DataOffset + h.DataBytes;
        if (fs.Length != expectedEnd)
            throw new InvalidDataException($"{path}: the header declares {h.DataBytes} data bytes from byte {h.DataOffset} but the file has {fs.Length - h.DataOffset}.");
        fs.Position = h.DataOffset + startRow * rowLen * h.ItemSize;
        var data = ElementCodec.ReadElements<T>(fs, rowCount * rowLen, ToRaw(h.Dtype), h.BigEndian, fs.Position, ".npy", $"rows {startRow}..{startRow + rowCount}");
        shape[0] = rowCount;
        return Tensor.FromArray(data, shape);
    }

    /// <summary>Reads only the header of a .npy file.</summary>
    public static NpyHeader ReadHeader(string path)
    {
        using var fs = File.OpenRead(path);
        return ReadHeader(fs, 0);
    }

    /// <summary>Reads the header at the current position of <paramref name="stream"/>, leaving it at the first data byte.</summary>
    public static NpyHeader ReadHeader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadHeader(stream, stream.CanSeek ? stream.Position : 0);
    }

    private static NpyHeader ReadHeader(Stream stream, long start)
    {
        Span<byte> pre = stackalloc byte[8];
        ElementCodec.ReadExactly(stream, pre, start, ".npy", "the magic string and version");
        if (!pre[..6].SequenceEqual(NpyHeader.Magic))
            throw new InvalidDataException($"Not a .npy file: bad magic string at byte {start} (expected \\x93NUMPY).");
        int major = pre[6], minor = pre[7];
        if (major is < 1 or > 3)
            throw new InvalidDataException($"Unsupported .npy format version {major}.{minor} at byte {start + 6} (1.0, 2.0 and 3.0 are supported).");
        int lenBytes = major == 1 ? 2 : 4;
        Span<byte> lenBuf = stackalloc byte[4];
        ElementCodec.ReadExactly(stream, lenBuf[..lenBytes], start + 8, ".npy", "the header length");
        long headerLen = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lenBuf) : BinaryPrimitives.ReadUInt32LittleEndian(lenBuf);
        long headerAt = start + 8 + lenBytes;
        if (headerLen > MaxHeaderBytes)
            throw new InvalidDataException($"Absurd .npy header length {headerLen} at byte {start + 8} (limit {MaxHeaderBytes}).");
        long remaining = ElementCodec.Remaining(stream);
        if (remaining >= 0 && headerLen > remaining)
            throw new InvalidDataException($"Truncated .npy file: header length {headerLen} at byte {start + 8} runs past the end of the file ({remaining} bytes remain after byte {headerAt}).");
        var header = new byte[headerLen];
        ElementCodec.ReadExactly(stream, header, headerAt, ".npy", "the header dict");
        var (descr, fortran, shape) = NpyHeaderParser.Parse(header, headerAt);
        var (dtype, bigEndian) = ParseDescr(descr, headerAt);
        long n = 1;
        int size = dtype is NpyDtype.Float32 or NpyDtype.Int32 ? 4 : 8;
        foreach (int d in shape)
        {
            if (d != 0 && n > long.MaxValue / size / d)
                throw new InvalidDataException($"Absurd .npy shape {ShapeUtil.Format(shape)} in the header at byte {headerAt}: the element count overflows.");
            n *= d;
        }
        return new NpyHeader(major, minor, dtype, bigEndian, fortran, shape, 8 + lenBytes + headerLen);
    }

    private static (NpyDtype, bool) ParseDescr(string descr, long at)
    {
        if (descr.Length >= 2)
        {
            char order = descr[0];
            bool? big = order switch { '<' or '=' => false, '>' => true, _ => null };
            NpyDtype? dt = descr[1..] switch { "f4" => NpyDtype.Float32, "f8" => NpyDtype.Float64, "i4" => NpyDtype.Int32, "i8" => NpyDtype.Int64, _ => null };
            if (big is not null && dt is not null) return (dt.Value, big.Value);
        }
        throw new InvalidDataException($"Unsupported .npy dtype '{descr}' in the header at byte {at} (supported: <f4 >f4 <f8 >f8 <i4 >i4 <i8 >i8).");
    }

    private static RawType ToRaw(NpyDtype d) => d switch
    {
        NpyDtype.Float32 => RawType.F32, NpyDtype.Float64 => RawType.F64, NpyDtype.Int32 => RawType.I32, _ => RawType.I64,
    };

    // ----------------------------------------------------------------- write

    /// <summary>Writes <paramref name="tensor"/> as a little-endian C-order .npy file (float32 → &lt;f4, float64 → &lt;f8).</summary>
    public static void Write<T>(string path, Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(fs, tensor);
    }

    /// <summary>Writes <paramref name="tensor"/> as .npy at the current position of <paramref name="stream"/>.</summary>
    public static void Write<T>(Stream stream, Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        using var w = new NpyWriter<T>(stream, tensor.ShapeArray, leaveOpen: true);
        // An empty tensor has nothing to write (and may not report itself contiguous).
        if (tensor.Length > 0) w.Write(tensor.Contiguous().AsSpan());
        w.Complete();
    }

    internal static string DescrOf<T>() => typeof(T) == typeof(float) ? "<f4" : "<f8";
}
