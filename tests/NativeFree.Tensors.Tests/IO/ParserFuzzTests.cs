using System.Text;
using NativeFree.Tensors.IO;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Tensors.Tests.IO;

/// <summary>
/// Mutation fuzzing of the two binary parsers: from valid files, flip bytes, overwrite the length
/// fields, splice digits into headers, truncate and extend. Every outcome must be success or
/// <see cref="InvalidDataException"/>; any other exception is a parser bug. Fixed seeds, bounded
/// iteration counts, so the test is deterministic and takes about a second.
/// </summary>
public class ParserFuzzTests
{
    private const int Iterations = 2000;

    // One to three stacked mutations: some bugs need two fields wrong at once (e.g. two huge dims).
    private static byte[] Mutate(byte[] valid, Rng rng, int headerEnd)
    {
        var b = valid;
        for (int k = 1 + rng.NextInt(3); k > 0; k--) b = MutateOnce(b, rng, Math.Min(headerEnd, b.Length));
        return b;
    }

    private static byte[] MutateOnce(byte[] valid, Rng rng, int headerEnd)
    {
        var b = (byte[])valid.Clone();
        if (b.Length == 0 || headerEnd == 0) return b;
        switch (rng.NextInt(7))
        {
            case 0: // a few random bytes anywhere
                for (int k = 1 + rng.NextInt(4); k > 0; k--) b[rng.NextInt(b.Length)] = (byte)rng.NextInt(256);
                break;
            case 1: // random bytes inside the header, where the structure lives
                for (int k = 1 + rng.NextInt(3); k > 0; k--) b[rng.NextInt(headerEnd)] = (byte)rng.NextInt(256);
                break;
            case 2: // truncate
                Array.Resize(ref b, rng.NextInt(b.Length));
                break;
            case 3: // extend with junk
                int extra = 1 + rng.NextInt(64);
                Array.Resize(ref b, b.Length + extra);
                for (int i = b.Length - extra; i < b.Length; i++) b[i] = (byte)rng.NextInt(256);
                break;
            case 4: // overwrite a length field with something large or random
                int at = valid[0] == 0x93 ? 8 : 0;
                for (int i = at; i < Math.Min(b.Length, at + (valid[0] == 0x93 ? 2 : 8)); i++) b[i] = (byte)rng.NextInt(256);
                break;
            case 5: // turn a header digit into a long run of digits (huge shapes and offsets)
            {
                var digits = Enumerable.Range(0, headerEnd).Where(i => b[i] >= '0' && b[i] <= '9').ToArray();
                if (digits.Length == 0) break;
                int p = digits[rng.NextInt(digits.Length)];
                var run = Encoding.ASCII.GetBytes(new string((char)('1' + rng.NextInt(9)), 1 + rng.NextInt(20)));
                b = [.. b[..p], .. run, .. b[(p + 1)..]];
                break;
            }
            default: // swap a header byte for punctuation that changes the grammar
            {
                var punct = "{}[](),:'\"-. L"u8;
                b[rng.NextInt(headerEnd)] = punct[rng.NextInt(punct.Length)];
                break;
            }
        }
        return b;
    }

    private static void Fuzz(byte[] valid, int headerEnd, ulong seed, Action<Stream> parse)
    {
        var rng = new Rng(seed);
        var failures = new List<string>();
        int accepted = 0, rejected = 0;
        for (int it = 0; it < Iterations; it++)
        {
            var b = Mutate(valid, rng, headerEnd);
            foreach (bool seekable in new[] { true, false })
            {
                try
                {
                    Stream s = new MemoryStream(b);
                    parse(seekable ? s : new NonSeekableStream(s));
                    accepted++;
                }
                catch (InvalidDataException) { rejected++; }
                catch (Exception ex)
                {
                    if (failures.Count < 5) failures.Add($"iteration {it} ({(seekable ? "seekable" : "non-seekable")}): {ex.GetType().Name}: {ex.Message}  bytes={Convert.ToHexString(b)}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(rejected > Iterations / 4, $"only {rejected} mutations were rejected: the mutator is not reaching the parser");
        Assert.True(accepted > 0, "no mutated file was accepted: the baseline itself may be rejected");
    }

    [Fact]
    public void NpyReaderOnlyEverThrowsInvalidDataException()
    {
        foreach (var (file, seed) in new[] { ("f4_fortran_3x4.npy", 1UL), ("i8_be_3.npy", 2UL), ("f8_v3_2x2.npy", 3UL), ("f8_2x3x4.npy", 5UL) })
        {
            var valid = File.ReadAllBytes(Fixture.Path(file));
            int headerEnd = (int)Npy.ReadHeader(Fixture.Path(file)).DataOffset;
            Fuzz(valid, headerEnd, seed, s => Npy.Read<double>(s));
        }
    }

    [Fact]
    public void SafetensorsReaderOnlyEverThrowsInvalidDataException()
    {
        var valid = File.ReadAllBytes(Fixture.Path("mixed.safetensors"));
        int headerEnd = 8 + (int)BitConverter.ToInt64(valid, 0);
        Fuzz(valid, headerEnd, 4, s =>
        {
            var f = Safetensors.Load(s);
            foreach (var e in f.Entries) e.ToTensor<float>(); // conversion must also cope with whatever was accepted
        });
    }
}
