namespace Distill.StudentTrainer.Data;

/// <summary>
/// The files of a task-set folder (as <c>make-tasks</c> writes it), each <see cref="PromptResponseFile"/> JSON Lines or,
/// under the same name ending in <c>.parquet</c> instead of <c>.jsonl</c>, Parquet.
/// </summary>
public static class TaskSetFiles
{
    public const string Train = "train.jsonl";

    /// <summary>Held out for choices made during training, e.g. DistiLLM's adaptive threshold.</summary>
    public const string Validation = "validation.jsonl";

    public const string Test = "test.jsonl";

    /// <summary>The path of <paramref name="file"/> in <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">The folder holds no such file.</exception>
    /// <exception cref="InvalidDataException">The folder holds the file both as JSON Lines and as Parquet.</exception>
    public static string Require(string folder, string file) =>
        Find(folder, file) ?? throw new FileNotFoundException(
            $"the task folder '{folder}' holds no {file} or {Path.ChangeExtension(file, ".parquet")} (make one with make-tasks)", Path.Combine(folder, file));

    /// <summary>The path of <paramref name="file"/>, or of its Parquet namesake, in <paramref name="folder"/>; null when neither exists.</summary>
    /// <exception cref="InvalidDataException">The folder holds both.</exception>
    public static string? Find(string folder, string file)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        string jsonl = Path.Combine(folder, file);
        string parquet = Path.ChangeExtension(jsonl, ".parquet");
        return (File.Exists(jsonl), File.Exists(parquet)) switch
        {
            (true, true) => throw new InvalidDataException($"the task folder '{folder}' holds both {file} and {Path.GetFileName(parquet)}: keep one"),
            (true, false) => jsonl,
            (false, true) => parquet,
            _ => null,
        };
    }
}
