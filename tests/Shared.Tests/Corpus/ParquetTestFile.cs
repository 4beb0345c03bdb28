using Parquet;
using Parquet.Schema;

namespace Distill.Tests.Support;

/// <summary>Writes small Parquet files of string columns for tests (linked into more than one test project).</summary>
internal static class ParquetTestFile
{
    /// <summary>One string column per entry of <paramref name="columns"/>, one row group per <paramref name="rowGroupSize"/> rows.</summary>
    public static string Write(string path, Dictionary<string, string?[]> columns, int rowGroupSize = int.MaxValue)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        WriteAsync(path, columns, rowGroupSize).GetAwaiter().GetResult();
        return path;
    }

    private static async Task WriteAsync(string path, Dictionary<string, string?[]> columns, int rowGroupSize)
    {
        DataField<string>[] fields = columns.Keys.Select(name => new DataField<string>(name)).ToArray();
        int rows = columns.Values.First().Length;
        await using FileStream stream = File.Create(path);
        await using ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
        for (int first = 0; first < rows; first += rowGroupSize)
        {
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            foreach (DataField<string> field in fields)
                await group.WriteAsync(field, columns[field.Name].Skip(first).Take(rowGroupSize).ToArray());
        }
    }
}
