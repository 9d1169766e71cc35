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
/// The CLI's whole-array .npy input and output, on the library's <see cref="NativeFree.Tensors.IO.Npy"/>
/// (any float/int dtype, either byte order, C or Fortran order; errors name the byte offset).
/// </summary>
internal static class KernelNpyInput
{
    /// <summary>Reads a whole .npy file as float64 data and its shape.</summary>
    public static (double[] Data, int[] Shape) Read(string path)
    {
        var t = NativeFree.Tensors.IO.Npy.Read<double>(path);
        return (t.Length == 0 ? [] : t.ToArray(), t.ShapeArray);
    }

    /// <summary>Writes a small array (predictions) as .npy, float64 or float32.</summary>
    public static void Write(string path, ReadOnlySpan<double> data, int[] shape, bool float32 = false)
    {
        var t = NativeFree.Tensors.Tensor.FromArray(data.ToArray(), shape);
        if (float32) NativeFree.Tensors.IO.Npy.Write(path, t.Cast<float>());
        else NativeFree.Tensors.IO.Npy.Write(path, t);
    }
}
