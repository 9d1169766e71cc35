using System.Numerics;

namespace NativeFree.Tensors.IO;

/// <summary>Element types of the safetensors format (the names used in its JSON header).</summary>
public enum SafetensorsDtype
{
    /// <summary>IEEE binary16.</summary>
    F16,
    /// <summary>bfloat16 (upper half of a binary32).</summary>
    BF16,
    /// <summary>IEEE binary32.</summary>
    F32,
    /// <summary>IEEE binary64.</summary>
    F64,
    /// <summary>32-bit signed integer.</summary>
    I32,
    /// <summary>64-bit signed integer.</summary>
    I64,
}

/// <summary>
/// One named tensor of a safetensors file: its dtype, shape and little-endian bytes.
/// <see cref="ToTensor{T}"/> converts any supported dtype to float or double.
/// </summary>
public sealed class SafetensorsEntry
{
    private readonly int[] _shape;
    private readonly byte[] _data;

    internal SafetensorsEntry(string name, SafetensorsDtype dtype, int[] shape, byte[] data)
    {
        Name = name; Dtype = dtype; _shape = shape; _data = data;
    }

    /// <summary>The tensor's name (key in the header).</summary>
    public string Name { get; }

    /// <summary>Stored element type.</summary>
    public SafetensorsDtype Dtype { get; }

    /// <summary>Axis sizes (a copy).</summary>
    public int[] Shape => (int[])_shape.Clone();

    /// <summary>Bytes of data.</summary>
    public int ByteLength => _data.Length;

    internal ReadOnlySpan<byte> Data => _data;

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int ElementSize(SafetensorsDtype dtype) => ElementCodec.Size(ToRaw(dtype));

    internal static RawType ToRaw(SafetensorsDtype d) => d switch
    {
        SafetensorsDtype.F16 => RawType.F16,
        SafetensorsDtype.BF16 => RawType.BF16,
        SafetensorsDtype.F32 => RawType.F32,
        SafetensorsDtype.F64 => RawType.F64,
        SafetensorsDtype.I32 => RawType.I32,
        _ => RawType.I64,
    };

    /// <summary>
    /// The values as a new tensor of <typeparamref name="T"/>: F16/BF16/F32 widen exactly to float or
    /// double; F64 narrows to float with rounding; integers convert to the nearest float value.
    /// </summary>
    public Tensor<T> ToTensor<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new T[_data.Length / ElementSize(Dtype)];
        ElementCodec.Decode<T>(_data, ToRaw(Dtype), bigEndian: false, result);
        return Tensor.FromArray(result, Shape);
    }

    /// <summary>An entry holding a copy of <paramref name="tensor"/> (F32 for float, F64 for double).</summary>
    public static SafetensorsEntry From<T>(string name, Tensor<T> tensor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        int size = typeof(T) == typeof(float) ? 4 : 8;
        var bytes = new byte[(long)tensor.Length * size];
        if (tensor.Length > 0) ElementCodec.EncodeLittleEndian<T>(tensor.Contiguous().AsSpan(), bytes);
        return new SafetensorsEntry(name, size == 4 ? SafetensorsDtype.F32 : SafetensorsDtype.F64, tensor.ShapeArray, bytes);
    }

    /// <summary>An I64 entry (PyTorch's int64 buffers, e.g. batch norm's <c>num_batches_tracked</c>, of shape [] ).</summary>
    public static SafetensorsEntry FromInt64(string name, ReadOnlySpan<long> values, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative axis in shape [{string.Join(", ", shape)}].", nameof(shape));
            count *= d;
        }
        if (count != values.Length) throw new ArgumentException($"{values.Length} values for shape [{string.Join(", ", shape)}] ({count} elements).", nameof(values));
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return new SafetensorsEntry(name, SafetensorsDtype.I64, (int[])shape.Clone(), bytes);
    }

    /// <summary>The values of an I64 or I32 entry, exactly; other dtypes throw <see cref="InvalidOperationException"/>.</summary>
    public long[] ToInt64()
    {
        int size = Dtype switch
        {
            SafetensorsDtype.I64 => 8,
            SafetensorsDtype.I32 => 4,
            _ => throw new InvalidOperationException($"'{Name}' holds {Dtype}, not an integer dtype."),
        };
        var result = new long[_data.Length / size];
        for (int i = 0; i < result.Length; i++)
            result[i] = size == 8 ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(_data.AsSpan(i * 8))
                                  : System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(_data.AsSpan(i * 4));
        return result;
    }
}

/// <summary>The contents of a safetensors file: tensors by name (in file order) and the optional metadata.</summary>
public sealed class SafetensorsFile
{
    internal SafetensorsFile(IReadOnlyList<SafetensorsEntry> entries, IReadOnlyDictionary<string, string> metadata)
    {
        Entries = entries;
        Metadata = metadata;
        var byName = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach (var e in entries) byName[e.Name] = e;
        Tensors = byName;
    }

    /// <summary>Entries in the order their data appears in the file.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>Entries by name.</summary>
    public IReadOnlyDictionary<string, SafetensorsEntry> Tensors { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The entry called <paramref name="name"/>.</summary>
    public SafetensorsEntry this[string name] => Tensors.TryGetValue(name, out var e) ? e
        : throw new KeyNotFoundException($"No tensor '{name}' in this safetensors file; it has: {string.Join(", ", Tensors.Keys)}.");
}
