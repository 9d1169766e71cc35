using System.Globalization;
using System.Numerics;

namespace NativeFree.Tensors.Sparse;

/// <summary>Matrix Market storage format.</summary>
public enum MatrixMarketFormat
{
    /// <summary>Sparse: one <c>row column [value]</c> line per entry (1-based).</summary>
    Coordinate,
    /// <summary>Dense: every value in column-major order.</summary>
    Array,
}

/// <summary>Matrix Market value field.</summary>
public enum MatrixMarketField
{
    /// <summary>Floating-point values.</summary>
    Real,
    /// <summary>Integer values.</summary>
    Integer,
    /// <summary>No values: every listed entry is 1 (coordinate only).</summary>
    Pattern,
}

/// <summary>Matrix Market symmetry: which entries are stored.</summary>
public enum MatrixMarketSymmetry
{
    /// <summary>All entries.</summary>
    General,
    /// <summary>Lower triangle with diagonal; A[j,i] = A[i,j].</summary>
    Symmetric,
    /// <summary>Strict lower triangle; A[j,i] = −A[i,j], zero diagonal.</summary>
    SkewSymmetric,
}

/// <summary>What a Matrix Market header and size line declare.</summary>
public sealed record MatrixMarketHeader(MatrixMarketFormat Format, MatrixMarketField Field, MatrixMarketSymmetry Symmetry, int Rows, int Columns, long DeclaredEntries);

/// <summary>
/// Matrix Market (<c>.mtx</c>) reader and writer: coordinate and array formats; real, integer and
/// pattern fields; general, symmetric and skew-symmetric matrices; comment lines; 1-based indices.
/// <para>
/// The reader is built for untrusted files: it never allocates by the declared entry count (storage
/// grows as entries arrive, and when the stream length is known a declared count that cannot fit in
/// the remaining bytes is rejected at once), lines are bounded, and every problem — bad header,
/// negative sizes, an index out of range, a non-numeric value, too few or too many entries — throws
/// <see cref="InvalidDataException"/> naming the line.
/// </para>
/// </summary>
public static class MatrixMarket
{
    // ------------------------------------------------------------------ reading

    /// <summary>Reads a file into CSR (coordinate: duplicates summed, symmetric halves expanded; array: nonzeros kept).</summary>
    public static CsrMatrix<T> ReadCsr<T>(string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var s = File.OpenRead(path);
        return ReadCsr<T>(s);
    }

    /// <summary>Reads a stream into CSR; see <see cref="ReadCsr{T}(string)"/>.</summary>
    public static CsrMatrix<T> ReadCsr<T>(Stream stream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (coo, dense, header) = ReadAny<T>(stream);
        return coo is not null ? coo.ToCsr() : CsrMatrix<T>.FromDense(DenseTensor(dense!, header.Rows, header.Columns));
    }

    /// <summary>Reads a file into a dense [rows, columns] tensor (either format).</summary>
    public static Tensor<T> ReadDense<T>(string path) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var s = File.OpenRead(path);
        return ReadDense<T>(s);
    }

    /// <summary>Reads a stream into a dense tensor (either format).</summary>
    public static Tensor<T> ReadDense<T>(Stream stream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (coo, dense, header) = ReadAny<T>(stream);
        return coo is not null ? coo.ToCsr().ToDense() : DenseTensor(dense!, header.Rows, header.Columns);
    }

    /// <summary>Reads only the header and size line.</summary>
    public static MatrixMarketHeader ReadHeader(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ParseHeader(new MatrixMarketLineReader(stream), LengthLeft(stream));
    }

    private static long? LengthLeft(Stream s)
    {
        try { return s.CanSeek ? s.Length - s.Position : null; }
        catch (NotSupportedException) { return null; }
    }

    private static Tensor<T> DenseTensor<T>(T[] data, int rows, int columns) where T : unmanaged, IFloatingPointIeee754<T>
        => rows == 0 || columns == 0 ? Tensor.Zeros<T>(rows, columns) : Tensor.FromArray(data, rows, columns);

    private static MatrixMarketHeader ParseHeader(MatrixMarketLineReader r, long? bytesLeft)
    {
        if (!r.Next()) throw new InvalidDataException("Matrix Market line 1 is missing: the file is empty.");
        var words = r.CurrentText.Trim().Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length != 5 || !words[0].Equals("%%MatrixMarket", StringComparison.OrdinalIgnoreCase)
            || !words[1].Equals("matrix", StringComparison.OrdinalIgnoreCase))
            throw r.Error("is not a '%%MatrixMarket matrix FORMAT FIELD SYMMETRY' header");
        var format = words[2].ToLowerInvariant() switch
        {
            "coordinate" => MatrixMarketFormat.Coordinate,
            "array" => MatrixMarketFormat.Array,
            _ => throw r.Error($"has unknown format '{words[2]}' (expected coordinate or array)"),
        };
        var field = words[3].ToLowerInvariant() switch
        {
            "real" or "double" => MatrixMarketField.Real,
            "integer" => MatrixMarketField.Integer,
            "pattern" => MatrixMarketField.Pattern,
            "complex" => throw r.Error("declares complex values, which are not supported"),
            _ => throw r.Error($"has unknown field '{words[3]}' (expected real, integer or pattern)"),
        };
        var symmetry = words[4].ToLowerInvariant() switch
        {
            "general" => MatrixMarketSymmetry.General,
            "symmetric" => MatrixMarketSymmetry.Symmetric,
            "skew-symmetric" => MatrixMarketSymmetry.SkewSymmetric,
            "hermitian" => throw r.Error("declares a hermitian matrix, which needs complex values (not supported)"),
            _ => throw r.Error($"has unknown symmetry '{words[4]}' (expected general, symmetric or skew-symmetric)"),
        };
        if (format == MatrixMarketFormat.Array && field == MatrixMarketField.Pattern)
            throw r.Error("declares an array of pattern values, which the format does not allow");

        // Comments, then the size line.
        do
        {
            if (!r.Next()) throw r.Error("is missing: the file ends before the size line", r.Line + 1);
        } while (r.IsBlank || r.Current[0] == (byte)'%');
        long rows = r.Integer("row count"), cols = r.Integer("column count");
        long entries;
        if (format == MatrixMarketFormat.Coordinate) entries = r.Integer("entry count");
        else entries = -1;
        r.ExpectEnd("sizes");
        if (rows < 0 || cols < 0 || (format == MatrixMarketFormat.Coordinate && entries < 0))
            throw r.Error($"declares negative sizes ({rows} × {cols}{(entries < 0 && format == MatrixMarketFormat.Coordinate ? $", {entries} entries" : "")})");
        if (rows > int.MaxValue || cols > int.MaxValue)
            throw r.Error($"declares {rows} × {cols}, beyond the int index range");
        if (symmetry != MatrixMarketSymmetry.General && rows != cols)
            throw r.Error($"declares a {symmetry} matrix that is not square ({rows} × {cols})");
        if (format == MatrixMarketFormat.Array)
        {
            entries = symmetry switch
            {
                MatrixMarketSymmetry.Symmetric => rows * (rows + 1) / 2,
                MatrixMarketSymmetry.SkewSymmetric => rows * (rows - 1) / 2,
                _ => rows * cols,
            };
        }
        else
        {
            long storable = symmetry == MatrixMarketSymmetry.General ? rows * cols : rows * (rows + 1) / 2;
            if (entries > storable)
                throw r.Error($"declares {entries} entries, more than a {rows} × {cols} {symmetry} matrix has positions");
        }
        // Each entry needs at least two bytes ("1\n"); a count that cannot fit in what is left is a lie.
        if (bytesLeft is long left && entries > left / 2)
            throw r.Error($"declares {entries} entries but the file has only {left} bytes");
        return new MatrixMarketHeader(format, field, symmetry, (int)rows, (int)cols, entries);
    }

    private static (CooBuilder<T>? Coo, T[]? Dense, MatrixMarketHeader Header) ReadAny<T>(Stream stream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(stream);
        var r = new MatrixMarketLineReader(stream);
        var h = ParseHeader(r, LengthLeft(stream));
        if (h.Format == MatrixMarketFormat.Coordinate) return (ReadCoordinate<T>(r, h), null, h);
        return (null, ReadArray<T>(r, h), h);
    }

    private static bool NextDataLine(MatrixMarketLineReader r)
    {
        while (r.Next())
            if (!r.IsBlank && r.Current[0] != (byte)'%') return true;
        return false;
    }

    private static T Value<T>(MatrixMarketLineReader r, MatrixMarketField field) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (field == MatrixMarketField.Pattern) return T.One;
        double v = field == MatrixMarketField.Integer ? r.Integer("value") : r.Real("value");
        return T.CreateSaturating(v);
    }

    private static CooBuilder<T> ReadCoordinate<T>(MatrixMarketLineReader r, MatrixMarketHeader h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var coo = new CooBuilder<T>(h.Rows, h.Columns);
        for (long e = 0; e < h.DeclaredEntries; e++)
        {
            if (!NextDataLine(r))
                throw r.Error($"is the end of the file, but only {e} of the {h.DeclaredEntries} declared entries were read", r.Line + 1);
            long i = r.Integer("row index"), j = r.Integer("column index");
            if (i < 1 || i > h.Rows || j < 1 || j > h.Columns)
                throw r.Error($"has entry ({i}, {j}) outside the {h.Rows} × {h.Columns} matrix (indices are 1-based)");
            T v = Value<T>(r, h.Field);
            r.ExpectEnd("entry");
            int ii = (int)i - 1, jj = (int)j - 1;
            if (h.Symmetry == MatrixMarketSymmetry.SkewSymmetric && ii == jj)
                throw r.Error($"has diagonal entry ({i}, {j}) in a skew-symmetric matrix");
            coo.Add(ii, jj, v);
            if (h.Symmetry != MatrixMarketSymmetry.General && ii != jj)
                coo.Add(jj, ii, h.Symmetry == MatrixMarketSymmetry.SkewSymmetric ? -v : v);
        }
        ExpectNoMoreData(r, h.DeclaredEntries);
        return coo;
    }

    private static T[] ReadArray<T>(MatrixMarketLineReader r, MatrixMarketHeader h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int m = h.Rows, n = h.Columns;
        // Values arrive column-major; collect them growing (never sized by the declaration) …
        var vals = new List<T>();
        for (long e = 0; e < h.DeclaredEntries; e++)
        {
            if (!NextDataLine(r))
                throw r.Error($"is the end of the file, but only {e} of the {h.DeclaredEntries} declared values were read", r.Line + 1);
            vals.Add(Value<T>(r, h.Field));
            r.ExpectEnd("value");
        }
        ExpectNoMoreData(r, h.DeclaredEntries);
        // … and place them once all are here (the dense size is now backed by real data).
        if ((long)m * n > Array.MaxLength)
            throw new InvalidDataException($"Matrix Market array of {m} × {n} values is too large for one dense array.");
        var d = new T[(long)m * n];
        int k = 0;
        for (int j = 0; j < n; j++)
        {
            int i0 = h.Symmetry switch { MatrixMarketSymmetry.Symmetric => j, MatrixMarketSymmetry.SkewSymmetric => j + 1, _ => 0 };
            for (int i = i0; i < m; i++)
            {
                T v = vals[k++];
                d[(long)i * n + j] = v;
                if (h.Symmetry == MatrixMarketSymmetry.Symmetric) d[(long)j * n + i] = v;
                else if (h.Symmetry == MatrixMarketSymmetry.SkewSymmetric) d[(long)j * n + i] = -v;
            }
        }
        return d;
    }

    private static void ExpectNoMoreData(MatrixMarketLineReader r, long declared)
    {
        if (NextDataLine(r))
            throw r.Error($"holds data after the {declared} declared entries");
    }

    // ------------------------------------------------------------------ writing

    /// <summary>Writes <paramref name="a"/> to a file in coordinate format; see <see cref="Write{T}(TextWriter, CsrMatrix{T}, MatrixMarketField, MatrixMarketSymmetry)"/>.</summary>
    public static void Write<T>(string path, CsrMatrix<T> a, MatrixMarketField field = MatrixMarketField.Real, MatrixMarketSymmetry symmetry = MatrixMarketSymmetry.General)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var w = new StreamWriter(path, false, new System.Text.UTF8Encoding(false), 1 << 16);
        Write(w, a, field, symmetry);
    }

    /// <summary>
    /// Writes <paramref name="a"/> in coordinate format, 1-based, rows in order. Symmetric and
    /// skew-symmetric write the lower triangle and require the matrix to have that symmetry; integer
    /// requires integral values; pattern writes positions only. Real values use the shortest
    /// round-trip text.
    /// </summary>
    public static void Write<T>(TextWriter writer, CsrMatrix<T> a, MatrixMarketField field = MatrixMarketField.Real, MatrixMarketSymmetry symmetry = MatrixMarketSymmetry.General)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(a);
        var s = a.SortIndices();
        if (symmetry != MatrixMarketSymmetry.General) CheckSymmetry(s, symmetry);
        long count = 0;
        for (int i = 0; i < s.Rows; i++)
            for (int p = s.RowPtr[i]; p < s.RowPtr[i + 1]; p++)
                if (Keep(i, s.ColIdx[p], symmetry)) count++;
        writer.Write($"%%MatrixMarket matrix coordinate {FieldName(field)} {SymmetryName(symmetry)}\n");
        writer.Write("% written by NativeFree\n");
        writer.Write($"{s.Rows} {s.Columns} {count}\n");
        Span<char> buf = stackalloc char[64];
        for (int i = 0; i < s.Rows; i++)
            for (int p = s.RowPtr[i]; p < s.RowPtr[i + 1]; p++)
            {
                int j = s.ColIdx[p];
                if (!Keep(i, j, symmetry)) continue;
                (i + 1).TryFormat(buf, out int w1, default, CultureInfo.InvariantCulture);
                writer.Write(buf[..w1]);
                writer.Write(' ');
                (j + 1).TryFormat(buf, out int w2, default, CultureInfo.InvariantCulture);
                writer.Write(buf[..w2]);
                if (field != MatrixMarketField.Pattern)
                {
                    writer.Write(' ');
                    WriteValue(writer, s.Vals[p], field, buf);
                }
                writer.Write('\n');
            }
    }

    /// <summary>Writes a dense matrix in array format (column-major, general).</summary>
    public static void WriteDense<T>(TextWriter writer, Tensor<T> a, MatrixMarketField field = MatrixMarketField.Real)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(a);
        if (a.Rank != 2) throw new ArgumentException($"WriteDense needs a matrix; got shape {ShapeUtil.Format(a.Shape)}.", nameof(a));
        if (field == MatrixMarketField.Pattern) throw new ArgumentException("The array format cannot hold a pattern matrix.", nameof(field));
        int m = a.Shape[0], n = a.Shape[1];
        writer.Write($"%%MatrixMarket matrix array {FieldName(field)} general\n");
        writer.Write($"{m} {n}\n");
        Span<char> buf = stackalloc char[64];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++)
            {
                WriteValue(writer, a[i, j], field, buf);
                writer.Write('\n');
            }
    }

    private static void WriteValue<T>(TextWriter writer, T v, MatrixMarketField field, Span<char> buf) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (field == MatrixMarketField.Integer)
        {
            if (!T.IsInteger(v) || T.Abs(v) > T.CreateChecked(9.2e18))
                throw new ArgumentException($"Value {v} is not an integer; write the field as real.", nameof(field));
            long.CreateChecked(v).TryFormat(buf, out int wi, default, CultureInfo.InvariantCulture);
            writer.Write(buf[..wi]);
            return;
        }
        string text = T.IsNaN(v) ? "nan" : T.IsPositiveInfinity(v) ? "inf" : T.IsNegativeInfinity(v) ? "-inf" : v.ToString("R", CultureInfo.InvariantCulture);
        writer.Write(text);
    }

    private static bool Keep(int i, int j, MatrixMarketSymmetry symmetry) => symmetry switch
    {
        MatrixMarketSymmetry.Symmetric => i >= j,
        MatrixMarketSymmetry.SkewSymmetric => i > j,
        _ => true,
    };

    private static void CheckSymmetry<T>(CsrMatrix<T> s, MatrixMarketSymmetry symmetry) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (s.Rows != s.Columns)
            throw new ArgumentException($"A {s.ShapeText} matrix cannot be written as {symmetry}: it is not square.", nameof(symmetry));
        var t = s.Transpose();
        for (int i = 0; i < s.Rows; i++)
            for (int p = s.RowPtr[i]; p < s.RowPtr[i + 1]; p++)
            {
                int j = s.ColIdx[p];
                T v = s.Vals[p], mirror = t[i, j];
                bool ok = symmetry == MatrixMarketSymmetry.Symmetric ? v == mirror : (i == j ? v == T.Zero : v == -mirror);
                if (!ok)
                    throw new ArgumentException($"The matrix is not {symmetry}: A[{i}, {j}] = {v} but A[{j}, {i}] = {mirror}.", nameof(symmetry));
            }
    }

    private static string FieldName(MatrixMarketField f) => f switch
    {
        MatrixMarketField.Integer => "integer",
        MatrixMarketField.Pattern => "pattern",
        _ => "real",
    };

    private static string SymmetryName(MatrixMarketSymmetry s) => s switch
    {
        MatrixMarketSymmetry.Symmetric => "symmetric",
        MatrixMarketSymmetry.SkewSymmetric => "skew-symmetric",
        _ => "general",
    };
}
