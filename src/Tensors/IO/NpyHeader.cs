using System.Text;

namespace NativeFree.Tensors.IO;

/// <summary>Element types the .npy reader understands.</summary>
public enum NpyDtype
{
    /// <summary><c>f4</c>, IEEE binary32.</summary>
    Float32,
    /// <summary><c>f8</c>, IEEE binary64.</summary>
    Float64,
    /// <summary><c>i4</c>, two's-complement 32-bit integer.</summary>
    Int32,
    /// <summary><c>i8</c>, two's-complement 64-bit integer.</summary>
    Int64,
}

/// <summary>
/// The parsed header of a .npy file: dtype and byte order, memory order, shape, and where the
/// data starts. Shape sizes are ints, but their product may exceed int.MaxValue (files written
/// by <see cref="NpyWriter{T}"/> can be larger than any one tensor).
/// </summary>
public sealed class NpyHeader
{
    internal NpyHeader(int major, int minor, NpyDtype dtype, bool bigEndian, bool fortranOrder, int[] shape, long dataOffset)
    {
        Major = major; Minor = minor; Dtype = dtype; BigEndian = bigEndian;
        FortranOrder = fortranOrder; _shape = shape; DataOffset = dataOffset;
        long n = 1;
        foreach (int d in shape) n = checked(n * d);
        ElementCount = n;
    }

    private readonly int[] _shape;

    /// <summary>Format major version (1, 2 or 3).</summary>
    public int Major { get; }
    /// <summary>Format minor version.</summary>
    public int Minor { get; }
    /// <summary>Element type.</summary>
    public NpyDtype Dtype { get; }
    /// <summary>True for <c>'&gt;'</c> (big-endian) data.</summary>
    public bool BigEndian { get; }
    /// <summary>True when the data is stored column-major.</summary>
    public bool FortranOrder { get; }
    /// <summary>Axis sizes (a copy).</summary>
    public int[] Shape => (int[])_shape.Clone();
    /// <summary>Product of the axis sizes.</summary>
    public long ElementCount { get; }
    /// <summary>Bytes per element.</summary>
    public int ItemSize => Dtype is NpyDtype.Float32 or NpyDtype.Int32 ? 4 : 8;
    /// <summary>Bytes of data that follow the header.</summary>
    public long DataBytes => ElementCount * ItemSize;
    /// <summary>Offset of the first data byte from the start of the file.</summary>
    public long DataOffset { get; }

    internal ReadOnlySpan<int> ShapeSpan => _shape;

    /// <summary>The NumPy descr string, e.g. <c>&lt;f4</c>.</summary>
    public string Descr => (BigEndian ? ">" : "<") + Dtype switch
    {
        NpyDtype.Float32 => "f4", NpyDtype.Float64 => "f8", NpyDtype.Int32 => "i4", _ => "i8",
    };

    internal static byte[] Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>
    /// The header bytes for a little-endian C-order array: version 1.0 when the dict fits a
    /// 16-bit length, else 2.0; padded with spaces and a newline to a multiple of 64 bytes, exactly
    /// as NumPy ≥ 1.14 writes it (so our files are byte-identical to <c>np.save</c>'s).
    /// </summary>
    internal static byte[] Build(string descr, ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("{'descr': '").Append(descr).Append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(shape[i]);
        }
        if (shape.Length == 1) sb.Append(',');
        sb.Append("), }");
        string dict = sb.ToString();
        int major = 1, prefix = 10;
        int total = Pad(prefix + dict.Length + 1);
        if (total - prefix > ushort.MaxValue) { major = 2; prefix = 12; total = Pad(prefix + dict.Length + 1); }
        var bytes = new byte[total];
        Magic.CopyTo(bytes, 0);
        bytes[6] = (byte)major;
        bytes[7] = 0;
        int len = total - prefix;
        if (major == 1) { bytes[8] = (byte)len; bytes[9] = (byte)(len >> 8); }
        else System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)len);
        Encoding.ASCII.GetBytes(dict, bytes.AsSpan(prefix));
        bytes.AsSpan(prefix + dict.Length, total - prefix - dict.Length - 1).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    private static int Pad(int n) => (n + 63) / 64 * 64;
}
