using System.Globalization;
using System.Numerics;
using System.Text;
using NativeFree.Tensors;
using NativeFree.Tensors.IO;

namespace NativeFree.Models.State;

/// <summary>
/// A module's parameters and buffers by PyTorch's keys (<c>0.weight</c>, <c>1.running_mean</c>,
/// <c>1.num_batches_tracked</c> as int64), saved and loaded as safetensors so torch.nn loads our files
/// and we load theirs. Loading is strict by default and all-or-nothing: every missing key, unexpected key,
/// shape mismatch and non-finite value is listed in one error, and nothing is changed unless all fit.
/// </summary>
public static class StateDict
{
    /// <summary>Metadata key saying the values were saved with their forward multipliers folded in.</summary>
    public const string FoldedKey = "nativefree.folded";

    /// <summary>Metadata key holding the network's SPEC text (informative; loading does not need it).</summary>
    public const string SpecKey = "nativefree.spec";

    /// <summary>
    /// The entries of <paramref name="module"/>'s state dict: parameters, then buffers, by key. With
    /// <paramref name="fold"/> each parameter is stored as value × multiplier, so an NTK or μP network
    /// loads unchanged into the equivalent standard torch.nn network.
    /// </summary>
    public static List<SafetensorsEntry> Entries<T>(Module<T> module, bool fold = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        module.Parameters(); // sets the keys
        var entries = new List<SafetensorsEntry>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, p) in module.NamedParameters())
        {
            if (!seen.Add(key)) continue;
            var value = fold && p.Multiplier != 1 ? Tensor.Mul(p.Value, T.CreateTruncating(p.Multiplier)) : p.Value;
            entries.Add(SafetensorsEntry.From(key, value));
        }
        foreach (var (key, b) in module.NamedBuffers())
            entries.Add(b.IsCounter ? SafetensorsEntry.FromInt64(key, [b.Count]) : SafetensorsEntry.From(key, b.Tensor!));
        return entries;
    }

    /// <summary>Saves the state dict of <paramref name="module"/> to a safetensors file (written whole to a temporary file, then moved into place).</summary>
    public static void Save<T>(Module<T> module, string path, bool fold = false, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (fold) meta[FoldedKey] = "true";
        if (module.Spec is not null && !meta.ContainsKey(SpecKey)) meta[SpecKey] = module.Spec.ToString();
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Environment.ProcessId + ".tmp");
        try
        {
            Safetensors.Save(temp, Entries(module, fold), meta);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>Loads a safetensors file into <paramref name="module"/> (see <see cref="Load{T}(Module{T}, SafetensorsFile, bool)"/>).</summary>
    public static void Load<T>(Module<T> module, string path, bool strict = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Load(module, Safetensors.Load(path), strict);
    }

    /// <summary>
    /// Copies the file's tensors into the module's parameters and buffers by key, converting F16/BF16/F32/F64 to
    /// the module's type. Strict: a key the module lacks or a key the file lacks is an error; not strict, both are
    /// skipped. Shapes must match exactly, values must be finite; the error lists every problem with both shapes.
    /// A file saved folded (<see cref="FoldedKey"/>) is divided by the multipliers on the way in.
    /// </summary>
    public static void Load<T>(Module<T> module, SafetensorsFile file, bool strict = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(file);
        module.Parameters();
        bool folded = file.Metadata.TryGetValue(FoldedKey, out var f) && f == "true";
        var problems = new List<string>();
        var actions = new List<Action>();
        var expected = new HashSet<string>(StringComparer.Ordinal);

        var seenParams = new HashSet<Parameter<T>>(ReferenceEqualityComparer.Instance);
        foreach (var (key, p) in module.NamedParameters())
        {
            expected.Add(key);
            if (!file.Tensors.TryGetValue(key, out var e)) { if (strict) problems.Add($"missing key '{key}' (expected shape {ShapeUtil.Format(p.Value.Shape)})"); continue; }
            if (!seenParams.Add(p)) continue; // a shared parameter loads from its first key
            var t = Convert<T>(key, e, p.Value.ShapeArray, problems);
            if (t is null) continue;
            if (folded && p.Multiplier != 1) t = Tensor.Mul(t, T.CreateTruncating(1 / p.Multiplier));
            actions.Add(() => p.Value.CopyFrom(t));
        }
        foreach (var (key, b) in module.NamedBuffers())
        {
            expected.Add(key);
            if (!file.Tensors.TryGetValue(key, out var e)) { if (strict) problems.Add($"missing key '{key}' (expected shape {ShapeUtil.Format(b.Shape)})"); continue; }
            if (b.IsCounter)
            {
                if (e.Shape.Length != 0 && !(e.Shape.Length == 1 && e.Shape[0] == 1)) { problems.Add($"'{key}': shape {ShapeUtil.Format(e.Shape)} in the file, [] in the model"); continue; }
                long count;
                if (e.Dtype is SafetensorsDtype.I64 or SafetensorsDtype.I32) count = e.ToInt64()[0];
                else
                {
                    double d = e.ToTensor<double>().AsSpan()[0];
                    if (!(d >= 0) || d != Math.Floor(d) || d > long.MaxValue) { problems.Add($"'{key}': the counter holds {d.ToString(CultureInfo.InvariantCulture)}, not a count"); continue; }
                    count = (long)d;
                }
                actions.Add(() => b.Count = count);
            }
            else
            {
                var t = Convert<T>(key, e, b.Shape, problems);
                if (t is not null) actions.Add(() => b.Tensor!.CopyFrom(t));
            }
        }
        if (strict)
            foreach (var key in file.Tensors.Keys)
                if (!expected.Contains(key)) problems.Add($"unexpected key '{key}' (shape {ShapeUtil.Format(file.Tensors[key].Shape)}) that the model does not have");
        if (problems.Count > 0)
        {
            var sb = new StringBuilder($"The state dict does not fit {module} ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}); nothing was loaded:");
            foreach (var p in problems) sb.Append("\n  ").Append(p);
            throw new ArgumentException(sb.ToString());
        }
        foreach (var a in actions) a();
    }

    private static Tensor<T>? Convert<T>(string key, SafetensorsEntry e, int[] shape, List<string> problems) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!e.Shape.AsSpan().SequenceEqual(shape))
        {
            problems.Add($"'{key}': shape {ShapeUtil.Format(e.Shape)} in the file, {ShapeUtil.Format(shape)} in the model");
            return null;
        }
        var t = e.ToTensor<T>();
        var s = t.AsSpan();
        for (int i = 0; i < s.Length; i++)
            if (!T.IsFinite(s[i]))
            {
                problems.Add($"'{key}': element {i} is {s[i]} (non-finite values are not loaded)");
                return null;
            }
        return t;
    }
}
