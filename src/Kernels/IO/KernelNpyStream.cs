using System.Buffers.Binary;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace NativeFree.Kernels.IO;

/// <summary>
/// A minimal .npy (format 1.0) writer for 2-D kernel matrices, written block by block at their file
/// offsets so that a kernel larger than memory can be streamed to disk. Internal and deliberately small:
/// the library's full Npy reader/writer (NativeFree.Tensors.IO) will replace it.
/// Thread-safe: blocks are positioned writes.
/// </summary>
internal sealed class KernelNpyStream : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _dataOffset;
    private readonly int _rows, _cols;
    private readonly bool _float32;

    public string Path { get; }

    public KernelNpyStream(string path, int rows, int cols, bool float32)
    {
        Path = path; _rows = rows; _cols = cols; _float32 = float32;
        var header = Header(float32 ? "<f4" : "<f8", [rows, cols]);
        _dataOffset = header.Length;
        long total = _dataOffset + (long)rows * cols * (float32 ? 4 : 8);
        _handle = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read, FileOptions.None, total);
        RandomAccess.Write(_handle, header, 0);
    }

    /// <summary>The .npy 1.0 header for a C-order array: magic, version, length, dict padded to 64 bytes.</summary>
    public static byte[] Header(string descr, int[] shape)
    {
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        int unpadded = 10 + dict.Length + 1;
        int pad = (64 - unpadded % 64) % 64;
        string text = dict + new string(' ', pad) + "\n";
        var bytes = new byte[10 + text.Length];
        bytes[0] = 0x93; "NUMPY"u8.CopyTo(bytes.AsSpan(1));
        bytes[6] = 1; bytes[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)text.Length);
        Encoding.ASCII.GetBytes(text, bytes.AsSpan(10));
        return bytes;
    }

    /// <summary>Writes a block (row-major, <paramref name="rows"/>×<paramref name="cols"/>) at (row0, col0).</summary>
    public void WriteBlock(int row0, int col0, int rows, int cols, ReadOnlySpan<double> block, bool transpose = false)
    {
        int es = _float32 ? 4 : 8;
        var buf = new byte[cols * es];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < cols; c++)
            {
                double v = transpose ? block[c * rows + r] : block[r * cols + c];
                if (_float32) BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(c * 4), (float)v);
                else BinaryPrimitives.WriteDoubleLittleEndian(buf.AsSpan(c * 8), v);
            }
            long off = _dataOffset + ((long)(row0 + r) * _cols + col0) * es;
            RandomAccess.Write(_handle, buf, off);
        }
    }

    public void Dispose() => _handle.Dispose();
}

/// <summary>
/// A minimal .npy reader for the CLI's inputs (float64/float32/int little-endian, C order). Validates the
/// header and the declared size against the file length before allocating; errors name the byte offset.
/// </summary>
internal static class KernelNpyInput
{
    public static (double[] Data, int[] Shape) Read(string path)
    {
        using var fs = File.OpenRead(path);
        long length = fs.Length;
        Span<byte> pre = stackalloc byte[12];
        if (length < 10 || fs.Read(pre[..10]) != 10) throw new InvalidDataException($"{path}: not a .npy file (shorter than its 10-byte preamble).");
        if (pre[0] != 0x93 || !pre[1..6].SequenceEqual("NUMPY"u8)) throw new InvalidDataException($"{path}: bad .npy magic at byte 0.");
        int major = pre[6];
        long headerLen; int preamble;
        if (major == 1) { headerLen = BinaryPrimitives.ReadUInt16LittleEndian(pre[8..10]); preamble = 10; }
        else if (major is 2 or 3)
        {
            if (fs.Read(pre[10..12]) != 2) throw new InvalidDataException($"{path}: truncated .npy preamble at byte 10.");
            headerLen = BinaryPrimitives.ReadUInt32LittleEndian(pre[8..12]); preamble = 12;
        }
        else throw new InvalidDataException($"{path}: unsupported .npy version {major} at byte 6.");
        if (headerLen > 1 << 20 || preamble + headerLen > length) throw new InvalidDataException($"{path}: header length {headerLen} at byte 8 exceeds the file.");
        var hb = new byte[headerLen];
        fs.ReadExactly(hb);
        string h = Encoding.Latin1.GetString(hb);
        string descr = Field(h, "descr", path, preamble);
        string fortran = Field(h, "fortran_order", path, preamble);
        string shapeText = Field(h, "shape", path, preamble);
        if (fortran != "False") throw new InvalidDataException($"{path}: Fortran-order arrays are not supported (header at byte {preamble}).");
        var dims = shapeText.Trim('(', ')').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.TryParse(s, out int v) && v >= 0 ? v : throw new InvalidDataException($"{path}: bad shape entry '{s}' in the header at byte {preamble}.")).ToArray();
        int es = descr switch { "<f8" or "<i8" => 8, "<f4" or "<i4" => 4, _ => throw new InvalidDataException($"{path}: unsupported dtype '{descr}' at byte {preamble} (use little-endian float64/float32/int64/int32).") };
        long count = 1; foreach (var d in dims) count *= d;
        long dataStart = preamble + headerLen;
        if (count * es != length - dataStart)
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", dims)}) needs {count * es} data bytes from byte {dataStart}, the file has {length - dataStart}.");
        var raw = new byte[count * es];
        fs.ReadExactly(raw);
        var data = new double[count];
        for (long i = 0; i < count; i++)
        {
            var s = raw.AsSpan((int)(i * es), es);
            data[i] = descr switch
            {
                "<f8" => BinaryPrimitives.ReadDoubleLittleEndian(s),
                "<f4" => BinaryPrimitives.ReadSingleLittleEndian(s),
                "<i8" => BinaryPrimitives.ReadInt64LittleEndian(s),
                _ => BinaryPrimitives.ReadInt32LittleEndian(s),
            };
        }
        return (data, dims);
    }

    private static string Field(string header, string key, string path, int at)
    {
        int i = header.IndexOf($"'{key}'", StringComparison.Ordinal);
        if (i < 0) throw new InvalidDataException($"{path}: header at byte {at} has no '{key}'.");
        int colon = header.IndexOf(':', i);
        if (colon < 0) throw new InvalidDataException($"{path}: malformed header at byte {at + i}.");
        int start = colon + 1;
        while (start < header.Length && header[start] == ' ') start++;
        if (start >= header.Length) throw new InvalidDataException($"{path}: malformed header at byte {at + start}.");
        if (header[start] == '\'')
        {
            int end = header.IndexOf('\'', start + 1);
            if (end < 0) throw new InvalidDataException($"{path}: unterminated string in header at byte {at + start}.");
            return header[(start + 1)..end];
        }
        if (header[start] == '(')
        {
            int end = header.IndexOf(')', start);
            if (end < 0) throw new InvalidDataException($"{path}: unterminated shape in header at byte {at + start}.");
            return header[start..(end + 1)];
        }
        int stop = header.IndexOfAny([',', '}'], start);
        if (stop < 0) throw new InvalidDataException($"{path}: malformed header at byte {at + start}.");
        return header[start..stop].Trim();
    }

    /// <summary>Writes a small array (predictions) as .npy.</summary>
    public static void Write(string path, ReadOnlySpan<double> data, int[] shape, bool float32 = false)
    {
        var header = KernelNpyStream.Header(float32 ? "<f4" : "<f8", shape);
        using var fs = File.Create(path);
        fs.Write(header);
        var buf = new byte[data.Length * (float32 ? 4 : 8)];
        for (int i = 0; i < data.Length; i++)
        {
            if (float32) BinaryPrimitives.WriteSingleLittleEndian(buf.AsSpan(i * 4), (float)data[i]);
            else BinaryPrimitives.WriteDoubleLittleEndian(buf.AsSpan(i * 8), data[i]);
        }
        fs.Write(buf);
    }
}
