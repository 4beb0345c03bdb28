using Distill.Shared.Tokenization;
using Distill.StudentTrainer.Cli;
using Distill.StudentTrainer.Data;
using Distill.Tests.Support;

namespace Distill.StudentTrainer.Tests.Data;

/// <summary>Task files as JSON Lines or Parquet, with <c>response</c> or TRL's <c>completion</c>, and their errors.</summary>
public sealed class TaskFileFormatsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("distill-task-formats-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string File(string name, string text)
    {
        string path = Path.Combine(_root, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Jsonl_pairs_may_name_the_response_completion()
    {
        string path = File("trl.jsonl", "{\"prompt\": \"Say hi\", \"completion\": \" hi\"}\n{\"prompt\": \"p\", \"response\": \"r\", \"completion\": \"c\"}\n");
        Assert.Equal([new PromptResponsePair("Say hi", " hi"), new PromptResponsePair("p", "r")], PromptResponseFile.Read(path));
    }

    [Fact]
    public void Parquet_pairs_are_read_across_row_groups_and_a_task_folder_may_hold_them()
    {
        string folder = Path.Combine(_root, "tasks");
        var columns = new Dictionary<string, string?[]> { ["prompt"] = ["the lady", "she would", "walk to"], ["completion"] = [" said", " dine", " town"] };
        ParquetTestFile.Write(Path.Combine(folder, "train.parquet"), columns, rowGroupSize: 2);
        ParquetTestFile.Write(Path.Combine(folder, "test.parquet"), columns);

        Assert.Equal(new PromptResponsePair("walk to", " town"), PromptResponseFile.Read(Path.Combine(folder, "train.parquet"))[2]);
        Assert.Equal(Path.Combine(folder, "test.parquet"), TaskSetFiles.Require(folder, TaskSetFiles.Test));
        LoadedTokenizer tokenizer = TokenizerLoader.Load(Path.Combine(AppContext.BaseDirectory, "Data", "gpt2"));
        TaskPairs pairs = TaskPairs.Load(folder, tokenizer, contextLength: 16, validationNeeded: false);
        Assert.Equal(3, pairs.Train.Count);
        Assert.Null(pairs.Validation);
    }

    [Fact]
    public void A_missing_field_names_file_line_or_row_and_field()
    {
        string jsonl = File("missing.jsonl", "{\"prompt\": \"p\", \"response\": \"r\"}\n{\"prompt\": \"p\"}\n");
        Assert.Equal($"{jsonl}, line 2: missing field 'response' (or 'completion')",
            Assert.Throws<InvalidDataException>(() => PromptResponseFile.Read(jsonl)).Message);

        string noColumn = ParquetTestFile.Write(Path.Combine(_root, "no-prompt.parquet"), new() { ["completion"] = ["c"] });
        Assert.Equal($"{noColumn}, row 1: missing column 'prompt' (or the Dolly column 'instruction')",
            Assert.Throws<InvalidDataException>(() => PromptResponseFile.Read(noColumn)).Message);

        string nullValue = ParquetTestFile.Write(Path.Combine(_root, "null.parquet"), new() { ["prompt"] = ["p", "q"], ["response"] = ["r", null] });
        Assert.Equal($"{nullValue}, row 2: missing column 'response' (or 'completion')",
            Assert.Throws<InvalidDataException>(() => PromptResponseFile.Read(nullValue)).Message);
    }

    [Fact]
    public void Empty_unreadable_and_ambiguous_task_files_are_clear_errors()
    {
        string folder = Path.Combine(_root, "empty");
        Directory.CreateDirectory(folder);
        System.IO.File.WriteAllText(Path.Combine(folder, "train.jsonl"), "\n");
        LoadedTokenizer tokenizer = TokenizerLoader.Load(Path.Combine(AppContext.BaseDirectory, "Data", "gpt2"));
        Assert.EndsWith("train.jsonl holds no pairs", Assert.Throws<InvalidDataException>(() => TaskPairs.Load(folder, tokenizer, 16, false)).Message);

        string broken = File("broken.parquet", "not parquet");
        Assert.StartsWith($"{broken} is not a readable Parquet file", Assert.Throws<InvalidDataException>(() => PromptResponseFile.Read(broken)).Message);

        string malformed = File("malformed.jsonl", "{\"prompt\": \n");
        Assert.StartsWith($"{malformed}, line 1:", Assert.Throws<InvalidDataException>(() => PromptResponseFile.Read(malformed)).Message);

        System.IO.File.WriteAllText(Path.Combine(folder, "train.parquet"), "");
        Assert.Contains("holds both train.jsonl and train.parquet", Assert.Throws<InvalidDataException>(() => TaskSetFiles.Require(folder, TaskSetFiles.Train)).Message);
    }
}
