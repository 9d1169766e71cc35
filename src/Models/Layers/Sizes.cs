using System.Globalization;

namespace NativeFree.Models.Layers;

/// <summary>Per-spatial-axis sizes (kernel, stride, padding): SPEC formatting and value equality, which records do not give arrays.</summary>
internal static class Sizes
{
    /// <summary>"3" when every axis is 3, "3x5" otherwise (what <see cref="Spec.SpecArgs.Sizes"/> parses back).</summary>
    public static string Text(IReadOnlyList<int> s)
        => s.All(v => v == s[0]) ? s[0].ToString(CultureInfo.InvariantCulture) : string.Join("x", s.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    public static bool Equal(IReadOnlyList<int> a, IReadOnlyList<int> b) => a.SequenceEqual(b);

    public static int Hash(IReadOnlyList<int> s) => s.Aggregate(17, (h, v) => h * 31 + v);

    public static int[] Repeat(int value, int rank) => Enumerable.Repeat(value, rank).ToArray();

    /// <summary>A copy, so a spec stays immutable when the caller's array changes.</summary>
    public static int[] Copy(IReadOnlyList<int> s, string name)
        => s is null ? throw new ArgumentNullException(name) : s.ToArray();

    public static string Num(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
