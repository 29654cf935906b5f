using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Edgewise.Agents.Tools.BuiltIn;

/// <summary>
/// A read tool over a fixed SQL statement (SECURITY A12): the statement is written by the developer; the model only
/// supplies the values of its named parameters, which are bound as <see cref="DbParameter"/>s and never spliced
/// into the text. Works with any ADO.NET provider (the caller opens the connection kind it wants).
/// </summary>
public static partial class SqlQueryTool
{
    /// <summary>The longest string parameter value accepted.</summary>
    public const int MaxParameterLength = 256;

    /// <summary>
    /// A tool named <paramref name="name"/> running <paramref name="sql"/>, whose parameters are written
    /// <c>@name</c> and listed in <paramref name="parameters"/>; answers with up to <paramref name="maxRows"/> rows
    /// as a JSON array of objects.
    /// </summary>
    /// <exception cref="ArgumentException">A parameter is missing from the statement, or the statement uses one not listed.</exception>
    public static AgentTool Create(
        string name,
        string description,
        Func<DbConnection> connect,
        string sql,
        IReadOnlyList<SqlToolParameter> parameters,
        int maxRows = 50)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(connect);
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        var used = ParameterReference().Matches(sql).Select(static m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var declared = parameters.Select(static p => p.Name).ToHashSet(StringComparer.Ordinal);
        if (!used.SetEquals(declared) || parameters.Any(static p => !ParameterName().IsMatch(p.Name)))
        {
            throw new ArgumentException("The statement's @parameters and the declared parameters must be the same names (letters, digits, _).", nameof(parameters));
        }

        var schema = SchemaFunction.ObjectSchema(parameters.Select(static p => (p.Name, p.Description, p.IsInteger)), MaxParameterLength);
        var function = new SchemaFunction(name, description, schema, (arguments, cancellationToken) => QueryAsync(connect, sql, parameters, maxRows, arguments, cancellationToken));
        return new AgentTool(function);
    }

    private static async ValueTask<object?> QueryAsync(
        Func<DbConnection> connect, string sql, IReadOnlyList<SqlToolParameter> parameters, int maxRows, AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var connection = connect();
        await using (connection.ConfigureAwait(false))
        {
            if (connection.State != System.Data.ConnectionState.Open)
            {
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            }

            var command = connection.CreateCommand();
            await using (command.ConfigureAwait(false))
            {
                command.CommandText = sql;
                foreach (var parameter in parameters)
                {
                    var value = SchemaFunction.Text(arguments, parameter.Name) ?? string.Empty;
                    var bound = command.CreateParameter();
                    bound.ParameterName = "@" + parameter.Name;
                    bound.Value = parameter.IsInteger ? long.Parse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : value;
                    command.Parameters.Add(bound);
                }

                var rows = new List<Dictionary<string, object?>>();
                var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (rows.Count < maxRows && await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var row = new Dictionary<string, object?>(StringComparer.Ordinal);
                        for (var i = 0; i < reader.FieldCount; i++)
                        {
                            row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i) is byte[] ? "[binary]" : reader.GetValue(i);
                        }

                        rows.Add(row);
                    }
                }

                return JsonSerializer.Serialize(rows, AgentsJsonContext.Info<List<Dictionary<string, object?>>>(AgentsJsonContext.PlainOptions));
            }
        }
    }

    [GeneratedRegex(@"@([A-Za-z_][A-Za-z0-9_]*)", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterName();
}

/// <summary>A named parameter of a <see cref="SqlQueryTool"/> statement, written <c>@Name</c> in the SQL.</summary>
/// <param name="Name">The name (letters, digits, <c>_</c>), also the tool argument's name.</param>
/// <param name="Description">What the model should put there.</param>
/// <param name="IsInteger">True for an integer argument; false for a string of at most <see cref="SqlQueryTool.MaxParameterLength"/> characters.</param>
public sealed record SqlToolParameter(string Name, string Description, bool IsInteger = false);
