using Parquet;
using Parquet.Schema;

namespace Distill.Shared.Data;

/// <summary>String columns of a Parquet file, read one row group at a time.</summary>
public static class ParquetColumns
{
    /// <summary>The number of rows of the file, from its metadata.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable Parquet file.</exception>
    public static long RowCount(string path) =>
        Guard(path, () =>
        {
            using OpenFile file = Open(path);
            ParquetReader reader = file.Reader;
            long rows = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
                rows += group.RowCount;
            }
            return rows;
        });

    /// <summary>The names of the top-level columns of the file.</summary>
    /// <exception cref="InvalidDataException">The file is not a readable Parquet file.</exception>
    public static IReadOnlyList<string> Names(string path) =>
        Guard(path, () =>
        {
            using OpenFile file = Open(path);
            ParquetReader reader = file.Reader;
            return (IReadOnlyList<string>)reader.Schema.GetDataFields().Select(f => f.Name).ToArray();
        });

    /// <summary>
    /// For each row group, the values of <paramref name="columns"/> (one array per column, null values as null); a
    /// column the file lacks is null.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a readable Parquet file, or a column does not hold strings.</exception>
    public static IEnumerable<string?[]?[]> RowGroups(string path, IReadOnlyList<string> columns)
    {
        using OpenFile file = Guard(path, () => Open(path));
        ParquetReader reader = file.Reader;
        DataField?[] fields = columns.Select(name => reader.Schema.GetDataFields().FirstOrDefault(f => f.Name == name)).ToArray();
        foreach (DataField? field in fields)
            if (field is not null && field.ClrType != typeof(string) && field.ClrType != typeof(ReadOnlyMemory<char>))
                throw new InvalidDataException($"{path}: column '{field.Name}' must hold strings, holds {field.ClrType.Name}");
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            yield return Guard(path, () =>
            {
                using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
                return fields.Select(field =>
                {
                    if (field is null) return null;
                    var values = new string?[group.RowCount];
                    group.ReadAsync(field, values.AsMemory()!).GetAwaiter().GetResult();
                    return values;
                }).ToArray();
            });
        }
    }

    private static OpenFile Open(string path)
    {
        Stream stream = File.OpenRead(path);
        try
        {
            return new OpenFile(ParquetReader.CreateAsync(stream, leaveStreamOpen: false).GetAwaiter().GetResult());
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static T Guard<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is not (InvalidDataException or FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException))
        {
            throw new InvalidDataException($"{path} is not a readable Parquet file: {e.Message}", e);
        }
    }

    /// <summary>A reader disposed synchronously (it is only <see cref="IAsyncDisposable"/>).</summary>
    private sealed class OpenFile(ParquetReader reader) : IDisposable
    {
        public ParquetReader Reader { get; } = reader;

        public void Dispose() => Reader.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
