using System.CommandLine;
using Distill.Shared.Native;
using Distill.StudentTrainer.Cli;

MallocTuning.Apply(typeof(Program).Assembly);

var root = new RootCommand("Distill StudentTrainer: train, distil, generate with and export students of the GPT-2, Llama, Mistral and Qwen families");
root.Subcommands.Add(TrainTokenizerCommand.Create());
root.Subcommands.Add(PretrainCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(PrecomputeCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(TokenizeCommand.Create());
root.Subcommands.Add(MakeTasksCommand.Create());
root.Subcommands.Add(MakeStudentCommand.Create());

ParseResult parsed = root.Parse(args);
bool asksForHelp = args.Any(a => a is "-h" or "--help" or "-?");
if (parsed.Errors.Count > 0 && !asksForHelp)
{
    Console.Error.WriteLine($"error: {parsed.Errors[0].Message} (see --help)");
    return 1;
}

try
{
    return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or UnauthorizedAccessException or InvalidOperationException or NotSupportedException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
