using Parquet;
using Parquet.Schema;

namespace Distill.Shared.Tests.Corpus;

/// <summary>A temporary folder to write small corpus files into.</summary>
internal sealed class CorpusFolder : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("distill-corpus-").FullName;

    public string Write(string relative, string text)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A Parquet file with one string column per entry of <paramref name="columns"/>, one row group per <paramref name="rowGroupSize"/> rows.</summary>
    public string WriteParquet(string relative, Dictionary<string, string?[]> columns, int rowGroupSize = int.MaxValue)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        DataField<string>[] fields = columns.Keys.Select(name => new DataField<string>(name)).ToArray();
        int rows = columns.Values.First().Length;
        Write().GetAwaiter().GetResult();
        async Task Write()
        {
            await using FileStream stream = File.Create(path);
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
            for (int first = 0; first < rows; first += rowGroupSize)
            {
                using ParquetRowGroupWriter group = writer.CreateRowGroup();
                foreach (DataField<string> field in fields)
                    await group.WriteAsync(field, columns[field.Name].Skip(first).Take(rowGroupSize).ToArray());
            }
        }
        return path;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
