using System.CommandLine;
using System.Globalization;
using Distill.StudentTrainer.Export;
using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Cli;

/// <summary><c>make-student</c>: a Hugging Face folder with a subset of a teacher's layers (<see cref="LayerSubset"/>).</summary>
public static class MakeStudentCommand
{
    public static Command Create()
    {
        Option<string> from = new("--from") { Description = "The teacher: a Hugging Face model folder (config.json + safetensors) or a checkpoint of this project", Required = true };
        Option<string> layers = new("--layers") { Description = "The teacher's blocks to keep, in order, e.g. 0,2,4,6 (every other one, as DistilBERT)", Required = true };
        Option<string> output = new("--out") { Description = "Folder to write: config.json, model.safetensors (in the teacher's dtype), generation_config.json and tokenizer files when the teacher has them", Required = true };

        var command = new Command("make-student", "Cut a student from a teacher: the same family and width, a subset of its layers, its embeddings, final norm and head");
        foreach (Option option in new Option[] { from, layers, output })
            command.Options.Add(option);
        command.SetAction(result =>
        {
            string source = CliOptions.RequireFolder(result.GetValue(from)!, "--from");
            int[] kept = ParseLayers(result.GetValue(layers)!);
            string destination = result.GetValue(output)!;
            using CausalLm teacher = ModelFolder.Load(source);
            using CausalLm student = LayerSubset.Cut(teacher, kept);
            HuggingFaceCheckpoint.Save(student, destination, WeightsDtype.ScalarTypeOf(teacher.Config.TorchDtype));
            if (TokenizerFileCopy.HoldsTokenizer(source)) TokenizerFileCopy.CopyInto(source, destination);
            string generation = Path.Combine(source, OnnxExporter.GenerationConfigFile);
            if (File.Exists(generation)) AtomicFile.Copy(generation, Path.Combine(destination, OnnxExporter.GenerationConfigFile));
            Console.WriteLine($"{student.Config.ModelType} student of {kept.Length} of the teacher's {teacher.Config.Layers} layers "
                              + $"({student.ParameterCount:N0} of {teacher.ParameterCount:N0} parameters) → {destination}");
            return 0;
        });
        return command;
    }

    /// <exception cref="ArgumentException">Not a comma-separated list of layer indices.</exception>
    public static int[] ParseLayers(string text)
    {
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var layers = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out layers[i]))
                throw new ArgumentException($"--layers takes comma-separated layer indices such as 0,2,4; '{parts[i]}' is not one");
        return layers;
    }
}
