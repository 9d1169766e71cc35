using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace NativeFree.Tensors.IO;

/// <summary>Raw element encodings shared by the file formats.</summary>
internal enum RawType { F16, BF16, F32, F64, I32, I64 }

/// <summary>Converts raw little/big-endian element bytes to and from float/double.</summary>
internal static class ElementCodec
{
    public static int Size(RawType t) => t switch
    {
        RawType.F16 or RawType.BF16 => 2,
        RawType.F32 or RawType.I32 => 4,
        _ => 8,
    };

    /// <summary>Decodes <c>dst.Length</c> elements from <paramref name="src"/> (length = count·size).</summary>
    public static void Decode<T>(ReadOnlySpan<byte> src, RawType type, bool bigEndian, Span<T> dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Same type, little-endian host and data: a straight copy.
        if (!bigEndian && BitConverter.IsLittleEndian &&
            ((type == RawType.F32 && typeof(T) == typeof(float)) || (type == RawType.F64 && typeof(T) == typeof(double))))
        {
            src.CopyTo(MemoryMarshal.AsBytes(dst));
            return;
        }
        switch (type)
        {
            case RawType.F32:
                for (int i = 0; i < dst.Length; i++)
                {
                    uint bits = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(src[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(src[(4 * i)..]);
                    dst[i] = T.CreateTruncating(BitConverter.UInt32BitsToSingle(bits));
                }
                break;
            case RawType.F64:
                for (int i = 0; i < dst.Length; i++)
                {
                    ulong bits = bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(src[(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(src[(8 * i)..]);
                    dst[i] = T.CreateTruncating(BitConverter.UInt64BitsToDouble(bits));
                }
                break;
            case RawType.I32:
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = T.CreateTruncating(bigEndian ? BinaryPrimitives.ReadInt32BigEndian(src[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(src[(4 * i)..]));
                break;
            case RawType.I64:
                for (int i = 0; i < dst.Length; i++)
                    dst[i] = T.CreateTruncating(bigEndian ? BinaryPrimitives.ReadInt64BigEndian(src[(8 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(src[(8 * i)..]));
                break;
            case RawType.F16:
                for (int i = 0; i < dst.Length; i++)
                {
                    ushort bits = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(src[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]);
                    dst[i] = T.CreateTruncating((float)BitConverter.UInt16BitsToHalf(bits));
                }
                break;
            case RawType.BF16:
                // bfloat16 is the upper half of a binary32: widening is a shift, exact.
                for (int i = 0; i < dst.Length; i++)
                {
                    ushort bits = bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(src[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(src[(2 * i)..]);
                    dst[i] = T.CreateTruncating(BitConverter.UInt32BitsToSingle((uint)bits << 16));
                }
                break;
            default:
                throw new NotSupportedException(type.ToString());
        }
    }

    /// <summary>Encodes float/double elements as little-endian bytes of their own type.</summary>
    public static void EncodeLittleEndian<T>(ReadOnlySpan<T> src, Span<byte> dst) where T : unmanaged
    {
        var raw = MemoryMarshal.AsBytes(src);
        raw.CopyTo(dst);
        if (!BitConverter.IsLittleEndian)
        {
            int size = raw.Length / Math.Max(1, src.Length);
            for (int i = 0; i < raw.Length; i += size) dst.Slice(i, size).Reverse();
        }
    }

    /// <summary>Reads exactly <paramref name="buffer"/>.Length bytes or throws naming the offset where the data ran out.</summary>
    public static void ReadExactly(Stream s, Span<byte> buffer, long offset, string format, string what)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int r = s.Read(buffer[got..]);
            if (r == 0)
                throw new InvalidDataException($"Truncated {format} file: {what} needs {buffer.Length} bytes at byte {offset} but the file ends at byte {offset + got}.");
            got += r;
        }
    }

    /// <summary>Bytes left in a seekable stream, or -1 when the length is unknown.</summary>
    public static long Remaining(Stream s)
    {
        if (!s.CanSeek) return -1;
        try { return Math.Max(0, s.Length - s.Position); }
        catch (NotSupportedException) { return -1; }
    }

    /// <summary>
    /// Reads <paramref name="count"/> elements of <paramref name="type"/> from the stream into a new
    /// array, in bounded chunks: memory grows only with bytes actually present, so a header that
    /// lies about its size cannot make us allocate it. Throws InvalidDataException on early end.
    /// </summary>
    public static T[] ReadElements<T>(Stream s, long count, RawType type, bool bigEndian, long offset, string format, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = Size(type);
        long remaining = Remaining(s);
        if (remaining >= 0 && remaining < count * size)
            throw new InvalidDataException($"Truncated {format} file: {what} needs {count * size} bytes at byte {offset} but only {remaining} remain.");
        if (count > Array.MaxLength)
            throw new InvalidDataException($"{format} {what} at byte {offset} has {count} elements, more than a tensor can hold.");
        const int chunkElems = 1 << 16;
        if (remaining >= 0)
        {
            var result = new T[count];
            var buf = new byte[(int)Math.Min(count, chunkElems) * size];
            for (long i = 0; i < count; i += chunkElems)
            {
                int n = (int)Math.Min(chunkElems, count - i);
                ReadExactly(s, buf.AsSpan(0, n * size), offset + i * size, format, what);
                Decode(buf.AsSpan(0, n * size), type, bigEndian, result.AsSpan((int)i, n));
            }
            return result;
        }
        // Unknown length (a network or compressed stream): collect chunks, allocate the result last.
        var chunks = new List<T[]>();
        var tmp = new byte[(int)Math.Min(count, chunkElems) * size];
        for (long i = 0; i < count; i += chunkElems)
        {
            int n = (int)Math.Min(chunkElems, count - i);
            ReadExactly(s, tmp.AsSpan(0, n * size), offset + i * size, format, what);
            var part = new T[n];
            Decode(tmp.AsSpan(0, n * size), type, bigEndian, part);
            chunks.Add(part);
        }
        var all = new T[count];
        int at = 0;
        foreach (var c in chunks) { c.CopyTo(all, at); at += c.Length; }
        return all;
    }
}
