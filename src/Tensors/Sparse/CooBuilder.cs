using System.Numerics;

namespace NativeFree.Tensors.Sparse;

/// <summary>
/// Collects (row, column, value) triplets in any order and builds a <see cref="CsrMatrix{T}"/>,
/// summing duplicates (like SciPy's <c>coo_matrix(...).tocsr()</c>). Storage grows as entries arrive.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class CooBuilder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private int[] _rows = new int[16];
    private int[] _cols = new int[16];
    private T[] _vals = new T[16];
    private int _count;

    /// <summary>A builder for a <paramref name="rows"/>×<paramref name="columns"/> matrix.</summary>
    public CooBuilder(int rows, int columns)
    {
        if (rows < 0 || columns < 0) throw new ArgumentException($"COO shape [{rows}, {columns}] has a negative size.");
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Number of rows.</summary>
    public int Rows { get; }

    /// <summary>Number of columns.</summary>
    public int Columns { get; }

    /// <summary>Number of triplets added so far (duplicates counted separately).</summary>
    public int Count => _count;

    /// <summary>Adds <paramref name="value"/> at (<paramref name="row"/>, <paramref name="column"/>); repeated positions are summed.</summary>
    public void Add(int row, int column, T value)
    {
        if ((uint)row >= (uint)Rows || (uint)column >= (uint)Columns)
            throw new ArgumentOutOfRangeException(nameof(row), $"Entry ({row}, {column}) is outside the [{Rows}, {Columns}] matrix.");
        if (_count == _rows.Length) Grow();
        _rows[_count] = row;
        _cols[_count] = column;
        _vals[_count] = value;
        _count++;
    }

    private void Grow()
    {
        if (_count >= CsrMatrix<T>.MaxNnz)
            throw new InvalidOperationException($"A COO matrix cannot hold more than {CsrMatrix<T>.MaxNnz} entries.");
        int cap = (int)Math.Min((long)_rows.Length * 2, CsrMatrix<T>.MaxNnz);
        Array.Resize(ref _rows, cap);
        Array.Resize(ref _cols, cap);
        Array.Resize(ref _vals, cap);
    }

    /// <summary>
    /// The CSR matrix with duplicates summed and rows sorted (two stable counting sorts, by column
    /// then by row: O(entries + rows + columns)). Duplicates that sum to zero stay as explicit zeros.
    /// </summary>
    public CsrMatrix<T> ToCsr()
    {
        int m = Rows, n = Columns, cnt = _count;
        // Sort by column (stable counting sort) …
        var cp = new int[n + 1];
        for (int e = 0; e < cnt; e++) cp[_cols[e] + 1]++;
        for (int j = 0; j < n; j++) cp[j + 1] += cp[j];
        var byCol = new int[cnt];
        for (int e = 0; e < cnt; e++) byCol[cp[_cols[e]]++] = e;
        // … then by row, keeping column order: rows come out sorted, duplicates adjacent.
        var rp = new int[m + 1];
        for (int e = 0; e < cnt; e++) rp[_rows[e] + 1]++;
        for (int i = 0; i < m; i++) rp[i + 1] += rp[i];
        var next = new int[m];
        Array.Copy(rp, next, m);
        var order = new int[cnt];
        foreach (int e in byCol) order[next[_rows[e]]++] = e;
        // Merge adjacent duplicates while compacting.
        var ci = new int[cnt];
        var v = new T[cnt];
        var outRp = new int[m + 1];
        int q = 0;
        for (int i = 0; i < m; i++)
        {
            int rowStart = q;
            for (int p = rp[i]; p < rp[i + 1]; p++)
            {
                int e = order[p];
                if (q > rowStart && ci[q - 1] == _cols[e]) v[q - 1] += _vals[e];
                else { ci[q] = _cols[e]; v[q] = _vals[e]; q++; }
            }
            outRp[i + 1] = q;
        }
        if (q < cnt) { Array.Resize(ref ci, q); Array.Resize(ref v, q); }
        return new CsrMatrix<T>(m, n, outRp, ci, v, sorted: true);
    }
}
