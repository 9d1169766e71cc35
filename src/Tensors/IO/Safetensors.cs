using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace NativeFree.Tensors.IO;

/// <summary>
/// The safetensors format of Hugging Face and PyTorch: an 8-byte little-endian header length N, a
/// UTF-8 JSON header of N bytes mapping names to <c>{"dtype", "shape", "data_offsets"}</c> (plus an
/// optional <c>"__metadata__"</c> string map), then the data; offsets are relative to the data start.
/// Writes F32/F64; reads F16, BF16, F32, F64, I32, I64. The reader applies the format's own rules
/// (offsets cover the data exactly, in order, without overlap or holes) and throws
/// <see cref="InvalidDataException"/> naming the byte offset of anything that breaks them.
/// </summary>
public static class Safetensors
{
    /// <summary>Largest header accepted (the reference implementation's limit, 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    // ----------------------------------------------------------------- save

    /// <summary>Saves float or double tensors by name, with optional metadata.</summary>
    public static void Save<T>(string path, IReadOnlyDictionary<string, Tensor<T>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Save(path, tensors.Select(kv => SafetensorsEntry.From(kv.Key, kv.Value)), metadata);
    }

    /// <summary>Saves entries of mixed dtypes (see <see cref="SafetensorsEntry.From{T}"/>).</summary>
    public static void Save(string path, IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Save(fs, entries, metadata);
    }

    /// <summary>Writes entries to a stream. Tensors are laid out in ordinal order of their names.</summary>
    public static void Save(Stream stream, IEnumerable<SafetensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(entries);
        var list = entries.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        for (int i = 1; i < list.Count; i++)
            if (list[i].Name == list[i - 1].Name) throw new ArgumentException($"Duplicate tensor name '{list[i].Name}'.", nameof(entries));
        if (list.Any(e => e.Name == "__metadata__")) throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor.", nameof(entries));

        var json = new MemoryStream();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata.OrderBy(k => k.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in list)
            {
                w.WriteStartObject(e.Name);
                w.WriteString("dtype", e.Dtype.ToString());
                w.WriteStartArray("shape");
                foreach (int d in e.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + e.ByteLength);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += e.ByteLength;
            }
            w.WriteEndObject();
        }
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        int pad = (int)(-json.Length & 7);
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)(json.Length + pad));
        stream.Write(len);
        json.Position = 0;
        json.CopyTo(stream);
        for (int i = 0; i < pad; i++) stream.WriteByte((byte)' ');
        foreach (var e in list) stream.Write(e.Data);
        stream.Flush();
    }

    // ----------------------------------------------------------------- load

    /// <summary>Loads every tensor of a safetensors file.</summary>
    public static SafetensorsFile Load(string path)
    {
        using var fs = File.OpenRead(path);
        return Load(fs);
    }

    /// <summary>
    /// Loads a safetensors file from the stream's current position. On a seekable stream the data must
    /// end exactly at the end of the stream; otherwise exactly the bytes the header describes are read.
    /// </summary>
    public static SafetensorsFile Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> lenBuf = stackalloc byte[8];
        ElementCodec.ReadExactly(stream, lenBuf, 0, "safetensors", "the header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(lenBuf);
        if (n > MaxHeaderBytes)
            throw new InvalidDataException($"Absurd safetensors header length {n} at byte 0 (limit {MaxHeaderBytes}).");
        long remaining = ElementCodec.Remaining(stream);
        if (remaining >= 0 && (long)n > remaining)
            throw new InvalidDataException($"Truncated safetensors file: header length {n} at byte 0 runs past the end of the file ({remaining} bytes follow byte 8).");
        var header = new byte[n];
        ElementCodec.ReadExactly(stream, header, 8, "safetensors", "the JSON header");
        long dataStart = 8 + (long)n;
        var (infos, metadata) = ParseHeader(header);

        // The format's rule: tensors tile the data region exactly, in order, without gaps or overlap.
        infos.Sort((a, b) => a.Begin.CompareTo(b.Begin));
        long expected = 0;
        foreach (var t in infos)
        {
            if (t.Begin != expected)
                throw new InvalidDataException(t.Begin < expected
                    ? $"safetensors tensor '{t.Name}' (header byte {8 + t.HeaderOffset}): data_offsets [{t.Begin}, {t.End}] overlap the previous tensor, which ends at data offset {expected} (byte {dataStart + expected})."
                    : $"safetensors tensor '{t.Name}' (header byte {8 + t.HeaderOffset}): data_offsets [{t.Begin}, {t.End}] leave a gap after data offset {expected} (byte {dataStart + expected}).");
            expected = t.End;
        }
        if (remaining >= 0)
        {
            long dataLen = remaining - (long)n;
            if (expected != dataLen)
                throw new InvalidDataException(expected > dataLen
                    ? $"Truncated safetensors file: the header describes {expected} data bytes from byte {dataStart} but the file has {dataLen}."
                    : $"safetensors file has {dataLen - expected} bytes after the last tensor, at byte {dataStart + expected}, that no tensor describes.");
        }

        var entries = new List<SafetensorsEntry>(infos.Count);
        foreach (var t in infos)
        {
            long bytes = t.End - t.Begin;
            if (bytes > Array.MaxLength)
                throw new InvalidDataException($"safetensors tensor '{t.Name}' at byte {dataStart + t.Begin} has {bytes} bytes, more than one array can hold.");
            var data = ReadBounded(stream, (int)bytes, dataStart + t.Begin, t.Name);
            entries.Add(new SafetensorsEntry(t.Name, t.Dtype, t.Shape, data));
        }
        return new SafetensorsFile(entries, metadata);
    }

    // Reads in ≤ 1 MiB pieces so a lying header on a length-less stream costs only the bytes present.
    private static byte[] ReadBounded(Stream s, int count, long offset, string name)
    {
        const int piece = 1 << 20;
        if (count <= piece || ElementCodec.Remaining(s) >= count)
        {
            var all = new byte[count];
            ElementCodec.ReadExactly(s, all, offset, "safetensors", $"tensor '{name}'");
            return all;
        }
        var parts = new List<byte[]>();
        for (int got = 0; got < count; got += piece)
        {
            var part = new byte[Math.Min(piece, count - got)];
            ElementCodec.ReadExactly(s, part, offset + got, "safetensors", $"tensor '{name}'");
            parts.Add(part);
        }
        var result = new byte[count];
        int at = 0;
        foreach (var p in parts) { p.CopyTo(result, at); at += p.Length; }
        return result;
    }

    private sealed record TensorInfo(string Name, SafetensorsDtype Dtype, int[] Shape, long Begin, long End, long HeaderOffset);

    private static (List<TensorInfo>, Dictionary<string, string>) ParseHeader(byte[] header)
    {
        var infos = new List<TensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(header, new JsonReaderOptions { MaxDepth = 16 });
        long at = 0;
        try
        {
            Next(ref reader, ref at);
            if (reader.TokenType != JsonTokenType.StartObject) throw Bad(at, "the header must be a JSON object");
            while (true)
            {
                Next(ref reader, ref at);
                if (reader.TokenType == JsonTokenType.EndObject) break;
                long nameAt = at;
                string name = reader.GetString()!;
                if (!seen.Add(name)) throw Bad(nameAt, $"duplicate name '{name}'");
                if (name == "__metadata__") ParseMetadata(ref reader, ref at, metadata);
                else infos.Add(ParseTensor(ref reader, ref at, name, nameAt));
            }
            if (reader.Read()) throw Bad(reader.TokenStartIndex, "unexpected content after the header object");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"safetensors header is not valid JSON near byte {8 + Math.Max(at, ex.BytePositionInLine ?? 0)}: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex) // e.g. a string with an invalid escape sequence
        {
            throw new InvalidDataException($"safetensors header has an unreadable value at byte {8 + at}: {ex.Message}", ex);
        }
        return (infos, metadata);
    }

    private static void Next(ref Utf8JsonReader r, ref long at)
    {
        if (!r.Read()) throw Bad(r.BytesConsumed, "the header JSON ends early");
        at = r.TokenStartIndex;
    }

    private static InvalidDataException Bad(long headerOffset, string what)
        => new($"Malformed safetensors header at byte {8 + headerOffset}: {what}.");

    private static void ParseMetadata(ref Utf8JsonReader r, ref long at, Dictionary<string, string> metadata)
    {
        Next(ref r, ref at);
        if (r.TokenType != JsonTokenType.StartObject) throw Bad(at, "__metadata__ must be an object of strings");
        while (true)
        {
            Next(ref r, ref at);
            if (r.TokenType == JsonTokenType.EndObject) return;
            string key = r.GetString()!;
            Next(ref r, ref at);
            if (r.TokenType != JsonTokenType.String) throw Bad(at, $"__metadata__ value of '{key}' must be a string");
            if (!metadata.TryAdd(key, r.GetString()!)) throw Bad(at, $"duplicate __metadata__ key '{key}'");
        }
    }

    private static TensorInfo ParseTensor(ref Utf8JsonReader r, ref long at, string name, long nameAt)
    {
        Next(ref r, ref at);
        if (r.TokenType != JsonTokenType.StartObject) throw Bad(at, $"tensor '{name}' must be an object");
        SafetensorsDtype? dtype = null; int[]? shape = null; long[]? offsets = null;
        while (true)
        {
            Next(ref r, ref at);
            if (r.TokenType == JsonTokenType.EndObject) break;
            string key = r.GetString()!;
            switch (key)
            {
                case "dtype":
                    Next(ref r, ref at);
                    if (r.TokenType != JsonTokenType.String) throw Bad(at, $"dtype of '{name}' must be a string");
                    string ds = r.GetString()!;
                    dtype = ds switch
                    {
                        "F16" => SafetensorsDtype.F16, "BF16" => SafetensorsDtype.BF16, "F32" => SafetensorsDtype.F32,
                        "F64" => SafetensorsDtype.F64, "I32" => SafetensorsDtype.I32, "I64" => SafetensorsDtype.I64,
                        _ => throw Bad(at, $"unsupported dtype '{ds}' for '{name}' (supported: F16, BF16, F32, F64, I32, I64)"),
                    };
                    break;
                case "shape":
                    shape = ReadInts(ref r, ref at, name, "shape", int.MaxValue).Select(v => (int)v).ToArray();
                    break;
                case "data_offsets":
                    offsets = ReadInts(ref r, ref at, name, "data_offsets", long.MaxValue);
                    if (offsets.Length != 2) throw Bad(at, $"data_offsets of '{name}' must be [begin, end]");
                    break;
                default:
                    Next(ref r, ref at);
                    r.Skip(); // unknown fields are ignored, like the reference reader does
                    break;
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw Bad(nameAt, $"tensor '{name}' needs dtype, shape and data_offsets");
        long begin = offsets[0], end = offsets[1];
        if (end < begin) throw Bad(nameAt, $"data_offsets of '{name}' are reversed: [{begin}, {end}]");
        long count = 1, size = SafetensorsEntry.ElementSize(dtype.Value);
        foreach (int d in shape)
        {
            if (d != 0 && count > long.MaxValue / size / d) throw Bad(nameAt, $"shape {ShapeUtil.Format(shape)} of '{name}' overflows");
            count *= d;
        }
        if (count * size != end - begin)
            throw Bad(nameAt, $"tensor '{name}' is {dtype} {ShapeUtil.Format(shape)} = {count * size} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new TensorInfo(name, dtype.Value, shape, begin, end, nameAt);
    }

    private static long[] ReadInts(ref Utf8JsonReader r, ref long at, string name, string field, long max)
    {
        Next(ref r, ref at);
        if (r.TokenType != JsonTokenType.StartArray) throw Bad(at, $"{field} of '{name}' must be an array of integers");
        var values = new List<long>();
        while (true)
        {
            Next(ref r, ref at);
            if (r.TokenType == JsonTokenType.EndArray) return [.. values];
            if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out long v) || v < 0 || v > max)
                throw Bad(at, $"{field} of '{name}' must hold integers in [0, {max}]");
            if (values.Count >= 64) throw Bad(at, $"{field} of '{name}' is too long");
            values.Add(v);
        }
    }
}
