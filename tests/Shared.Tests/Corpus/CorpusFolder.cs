using Distill.Tests.Support;

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

    /// <summary>A Parquet file of string columns (<see cref="ParquetTestFile"/>).</summary>
    public string WriteParquet(string relative, Dictionary<string, string?[]> columns, int rowGroupSize = int.MaxValue) =>
        ParquetTestFile.Write(Path.Combine(Root, relative), columns, rowGroupSize);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
